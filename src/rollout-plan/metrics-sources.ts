import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FlagrouteError } from '../errors.js';
import { statsFromPrometheus } from '../experiment/prometheus-source.js';
import { readEventFiles } from '../experiment/read-events.js';
import type { Router } from '../router/router.js';
import type { PlanMetrics } from './guardrails.js';

/** The stage a reading is for: when it started and the percentage it serves (its allocation period). */
export interface StageWindow {
  /** When the stage started (ms since the epoch). */
  since: number;
  /** The stage's rollout percentage: exposures of period `p<percentage>` fix a unit's arm. */
  percentage: number;
}

/** Where a controller reads the plan's metrics from. */
export interface PlanMetricsSource {
  /** A short description for logs and status (`router`, `prometheus=URL`, `events=DIR`, `postgres`). */
  readonly name: string;
  /**
   * The plan's metrics. A source that keeps users (`postgres`) gives the data of the stage in
   * `window` per user (`unit: 'user'`); the others give request sums since their own start.
   */
  read(window?: StageWindow): Promise<PlanMetrics>;
}

/** The in-process router's outcomes (the controller inside `flagroute serve --controller`). */
export function routerMetrics(router: Router): PlanMetricsSource {
  return {
    name: 'router',
    async read() {
      const moments = router.outcomeMoments();
      const summary = router.getPerformanceSummary();
      return {
        arms: { treatment: moments.lightrag, baseline: moments.perplexity },
        breakerOpen: summary.circuit_breaker.is_open,
        p95Seconds: summary.cohorts.lightrag.recent.p95_response_time,
        rollback: router.status().rollback?.reason ?? null,
      };
    },
  };
}

/** A fleet's outcomes summed in Prometheus (request-level sufficient statistics). */
export function prometheusMetrics(url: string, fetcher?: typeof fetch): PlanMetricsSource {
  return {
    name: `prometheus=${url}`,
    async read() {
      const stats = await statsFromPrometheus(url, fetcher ? { fetch: fetcher } : {});
      return {
        arms: { treatment: stats.arms.lightrag, baseline: stats.arms.perplexity },
        breakerOpen: null,
        p95Seconds: null,
        rollback: null,
      };
    },
  };
}

/** The outcome event log's files in a directory, read whole at each look. */
export function eventsMetrics(dir: string): PlanMetricsSource {
  return {
    name: `events=${dir}`,
    async read() {
      const files = (await readdir(dir)).filter((name) => /\.jsonl(\.gz)?$/.test(name));
      const read = await readEventFiles(files.sort().map((name) => join(dir, name)));
      const stats = read.accumulator.stats('request');
      return {
        arms: { treatment: stats.arms.lightrag, baseline: stats.arms.perplexity },
        breakerOpen: null,
        p95Seconds: null,
        rollback: null,
      };
    },
  };
}

/** No metrics: for a person's command from the CLI; the controller's first look sets the stage's baseline. */
export const NO_METRICS: PlanMetricsSource = {
  name: 'none',
  async read() {
    return {
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
  if (kind === 'prometheus' && value) return prometheusMetrics(value);
  if (kind === 'events' && value) return eventsMetrics(value);
  throw new FlagrouteError(
    'USAGE',
    `--metrics must be ${router ? 'router, ' : ''}prometheus=URL, events=DIR or postgres (the store's events, with --store), got ${JSON.stringify(spec)}`,
  );
}
