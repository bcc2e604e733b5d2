import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FlagrouteError } from '../errors.js';
import { lineTooLong } from '../experiment/event-file-errors.js';
import { MAX_LINE_BYTES, readPart } from '../experiment/index.js';
import { shownPrometheusUrl } from '../experiment/prometheus-request.js';
import { prometheusUrl, statsFromPrometheus } from '../experiment/prometheus-source.js';
import { fileErrorReason } from '../file-errors.js';
import { allocationPeriod, type ExposureEvent, type OutcomeEvent } from '../outcomes/index.js';
import type { Router } from '../router/router.js';
import { PairedTally } from '../shadow/index.js';
import type { PlanMetrics } from './guardrails.js';
import { StagePairTally } from './stage-pairs.js';
import { type ArmIndex, StageTally } from './stage-tally.js';

/** The stage a reading is for: when it started and the percentage it serves (its allocation period). */
export interface StageWindow {
  /** When the stage started (ms since the epoch). */
  since: number;
  /** The stage's rollout percentage: exposures of period `p<percentage>` fix a unit's arm. */
  percentage: number;
  /**
   * The plan judges covariate-adjusted estimates (`guardrails.adjustment`): a source for which
   * the units' covariates cost extra work (the store) reads them only then.
   */
  covariates?: boolean;
  /** A shadow stage: the reading also gives the pairs since `since`, per user. */
  shadow?: boolean;
}

/** Where a controller reads the plan's metrics from. */
export interface PlanMetricsSource {
  /** A short description for logs and status (`router`, `prometheus=URL`, `events=DIR`, `postgres`). */
  readonly name: string;
  /**
   * The data for the stage in `window` (per-unit sums of that stage), or request sums since the
   * source's start. Without a window: everything the source has.
   */
  read(window?: StageWindow): Promise<PlanMetrics>;
}

const armOf = (cohort: string | null | undefined): ArmIndex | undefined =>
  cohort === 'lightrag' ? 0 : cohort === 'perplexity' ? 1 : undefined;

/** One allocation period's tally in a process: the percentage in force and since when. */
interface PeriodTally {
  percentage: number;
  startedAt: number;
  tally: StageTally;
}

/**
 * The in-process router's outcomes (the controller inside `flagroute serve --controller`), kept
 * per unit in a {@link StageTally} per allocation period (the rollout percentage in force when
 * the outcome is recorded; the current period and the one before are kept, each bounded by
 * `STAGE_UNIT_LIMIT`). A stage reads its period's tally; one that began before the stage (an
 * earlier run at the same percentage, or before a resume) starts afresh at that reading.
 * Outcomes that name no user are counted and left out.
 */
export function routerMetrics(router: Router): PlanMetricsSource {
  let current: PeriodTally | undefined;
  let previous: PeriodTally | undefined;
  const pairs = new StagePairTally();
  router.on('outcome', (recorded) => {
    if (recorded.shadow !== undefined) pairs.add(recorded);
    const arm = armOf(recorded.cohort);
    if (arm === undefined) return;
    const percentage = router.settings.rollout_percentage;
    if (current?.percentage !== percentage) {
      previous = current;
      current = { percentage, startedAt: recorded.time, tally: new StageTally() };
    }
    current.tally.add(recorded.unit, arm, recorded.outcome, recorded.covariates);
  });
  const periodOf = (window: StageWindow | undefined): PeriodTally | undefined => {
    if (!window) return current;
    const period = [current, previous].find((each) => each?.percentage === window.percentage);
    if (period && period.startedAt < window.since) {
      period.tally = new StageTally();
      period.startedAt = window.since;
    }
    return period;
  };
  return {
    name: 'router',
    async read(window) {
      const summary = router.getPerformanceSummary();
      const data = (periodOf(window)?.tally ?? new StageTally()).data();
      return {
        unit: 'user',
        arms: data.arms,
        counts: data.counts,
        ...(data.covariates ? { covariates: data.covariates } : {}),
        breakerOpen: summary.circuit_breaker.is_open,
        p95Seconds: summary.cohorts.lightrag.recent.p95_response_time,
        rollback: router.status().rollback?.reason ?? null,
        ...(window?.shadow ? { pairs: pairs.since(window.since) } : {}),
      };
    },
  };
}

/**
 * A fleet's outcomes summed in Prometheus: request-level sums only, so the plan judges its
 * rollback triggers on them and no regression unless `rollout_plan.guardrails.request_level`.
 */
export function prometheusMetrics(url: string, fetcher?: typeof fetch): PlanMetricsSource {
  return {
    // Never the URL as given: its password and a query token would reach every log line.
    name: `prometheus=${shownPrometheusUrl(url)}`,
    async read() {
      const stats = await statsFromPrometheus(url, fetcher ? { fetch: fetcher } : {});
      return {
        unit: 'request',
        arms: { treatment: stats.arms.lightrag, baseline: stats.arms.perplexity },
        breakerOpen: null,
        p95Seconds: null,
        rollback: null,
      };
    },
  };
}

/** The names in an event directory, or an error saying in words why it cannot be listed. */
async function eventFileNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such directory'
        : code === 'ENOTDIR'
          ? 'it is not a directory'
          : fileErrorReason(error);
    throw new FlagrouteError('INVALID_DATA', `${dir}: ${why}`, { cause: error });
  }
}

/**
 * The outcome event log's files in a directory, read whole at each look and aggregated by unit
 * for the stage: a unit's arm is that of its first exposure record of the stage's allocation
 * period (else of its first outcome), and its outcomes since the stage started are summed.
 */
export function eventsMetrics(dir: string): PlanMetricsSource {
  return {
    name: `events=${dir}`,
    async read(window) {
      const files = (await eventFileNames(dir)).filter((name) => /\.jsonl(\.gz)?$/.test(name));
      const tally = new StageTally();
      const pairs = window?.shadow ? new PairedTally() : undefined;
      const period = window && allocationPeriod(window.percentage);
      const folder = {
        add(event: OutcomeEvent) {
          if (window && Date.parse(event.time) < window.since) return;
          pairs?.add(event);
          const arm = armOf(event.cohort);
          if (arm === undefined) return;
          const unit =
            event.unit ?? (event.userId === undefined ? undefined : `id:${event.userId}`);
          tally.add(unit, arm, event, event.covariates);
        },
        addExposure(exposure: ExposureEvent) {
          if (period === undefined || exposure.period === period)
            tally.expose(exposure.unit, exposure.cohort === 'lightrag' ? 0 : 1);
        },
      };
      const reading = { maxLineBytes: MAX_LINE_BYTES, onDecisionId: () => {} };
      const skipped = { lines: 0, examples: [] as string[] };
      for (const name of files.sort()) {
        const part = await readPart(join(dir, name), {}, folder, undefined, reading);
        if (part.tooLong !== undefined) throw lineTooLong(name, part.tooLong, MAX_LINE_BYTES);
        skipped.lines += part.malformed;
        for (const { line, problem } of part.examples) {
          if (skipped.examples.length < SKIPPED_SHOWN)
            skipped.examples.push(`${name}:${line}: ${problem}`);
        }
      }
      const data = tally.data();
      return {
        unit: 'user',
        arms: data.arms,
        counts: data.counts,
        ...(data.covariates ? { covariates: data.covariates } : {}),
        breakerOpen: null,
        p95Seconds: null,
        rollback: null,
        ...(pairs ? { pairs } : {}),
        ...(skipped.lines > 0 ? { skipped } : {}),
      };
    },
  };
}

/** How many skipped lines a look names (the rest are counted). */
const SKIPPED_SHOWN = 3;

/** No metrics: for a person's command from the CLI; the controller's first look sets the stage's baseline. */
export const NO_METRICS: PlanMetricsSource = {
  name: 'none',
  async read() {
    return {
      unit: 'request',
      arms: { treatment: {}, baseline: {} },
      breakerOpen: null,
      p95Seconds: null,
      rollback: null,
    };
  },
};

/** A `--metrics` value: `prometheus=URL` or `events=DIR` (or `router` where one is in process). */
export function metricsSourceOf(spec: string, router?: Router): PlanMetricsSource {
  if (spec === 'router' && router) return routerMetrics(router);
  const [kind, value] = [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)];
  if (kind === 'prometheus' && value) {
    // Refused at start, in the flag's words: at the first look it was the experiment report's
    // --prometheus that "must be a URL", a flag the command does not have.
    if (prometheusUrl(value) === undefined) {
      throw new FlagrouteError(
        'USAGE',
        `--metrics prometheus=URL needs an http:// or https:// URL such as prometheus=http://prometheus:9090, got prometheus=${shownPrometheusUrl(value)}`,
      );
    }
    return prometheusMetrics(value);
  }
  if (kind === 'events' && value) return eventsMetrics(value);
  throw new FlagrouteError(
    'USAGE',
    `--metrics must be ${router ? 'router, ' : ''}prometheus=URL, events=DIR or postgres (the store's events, with --store), got ${JSON.stringify(spec)}`,
  );
}
