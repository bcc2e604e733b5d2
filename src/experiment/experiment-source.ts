import { readFile } from 'node:fs/promises';
import { FlagrouteError } from '../errors.js';
import { fileErrorReason } from '../file-errors.js';
import { jsonSyntaxFault } from '../json-syntax.js';
import type { Moments, OutcomeMetric } from '../metrics/index.js';
import type { RequestCovariateSnapshot } from '../outcomes/index.js';
import { decodeUtf8 } from '../utf8.js';
import type { EventAccumulator } from './event-accumulator.js';
import { type AnalysisUnit, checkStats, type ExperimentStats } from './experiment-data.js';
import { type PrometheusSourceOptions, statsFromPrometheus } from './prometheus-source.js';
import type { MalformedLine } from './read-event-part.js';
import { type EventLine, type ReadEventOptions, readEventFiles } from './read-events.js';
import { covariatesFromPrometheus, covariatesOfRequests } from './request-covariates.js';
import type { TailData } from './tail-values.js';
import type { CovariateData } from './variance-reduction.js';

/**
 * Where an analysis's data comes from: `events` (event files), `store` (the fleet store's event
 * tables), `stats`, `prometheus`, `live` (a router's own outcomes).
 */
export const SOURCE_KINDS = ['events', 'store', 'stats', 'prometheus', 'live'] as const;
/** A kind from {@link SOURCE_KINDS}. */
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** What the events of a source held and what was left out (events only). */
export interface EventCountsReport {
  analyzed: number;
  outside_experiment: number;
  without_unit: number;
  users_in_both_arms: number;
  malformed?: number;
  /** Outcomes that repeat an earlier line's decision id (counted as given). */
  duplicate_decision_ids?: number;
}

/** What a reader of event files found besides events (`readEventFiles` gives both counts). */
export interface ReadingCounts {
  /** Lines skipped as not outcome events. */
  malformed: number;
  /** Outcomes repeating an earlier line's decision id. */
  duplicateDecisionIds?: number;
}

/** The data of one analysis, whatever the source: what `analyzeExperiment` reads. */
export interface ExperimentData {
  source: SourceKind;
  stats: ExperimentStats;
  /** Event counts, when the data came from events. */
  events?: EventCountsReport;
  /** What the reader should know about how the data was read. */
  notes: string[];
  /** Earliest and latest event (ms since the epoch), for rates; events only. */
  span?: { first: number; last: number };
  /** The first malformed lines, for a reader to show (events read from files only). */
  examples?: MalformedLine[];
  /** The first lines repeating a decision id, for a reader to show (files only). */
  duplicateExamples?: EventLine[];
  /** Per-unit covariate cross-products, when the data's lines carried covariates. */
  covariates?: CovariateData;
  /** The heavy-tailed metrics' values per arm (capping, the tail test); sources that keep values. */
  tails?: TailData;
  /** Response times per arm as request-level HDR bucket counts (a live router's histograms). */
  latencyCounts?: [Float64Array, Float64Array];
}

/**
 * A source of experiment data: the event log, per-arm statistics, Prometheus or a live router.
 * `units` says which units of analysis it can give: only a source that keeps users (the event
 * log, statistics computed per user) can judge at the user unit and test the sample ratio on
 * units; the others hold request sums, and a report from them names no winner unless asked.
 */
export interface ExperimentSource {
  readonly kind: SourceKind;
  /** The units of analysis this source can give, finest first. */
  readonly units: readonly AnalysisUnit[];
  /** The data at `unit` (default: the finest this source has). */
  read(unit?: AnalysisUnit): Promise<ExperimentData>;
}

function unitRefused(
  kind: SourceKind,
  unit: AnalysisUnit | undefined,
  units: readonly AnalysisUnit[],
) {
  if (unit !== undefined && !units.includes(unit)) {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `${kind === 'live' ? "a router's live outcomes" : kind === 'prometheus' ? 'Prometheus' : 'these statistics'} hold ${units.join(' and ')}-level data only; the ${unit} unit needs the outcome event log`,
    );
  }
}

/** The data of folded events at a unit (default: user when every event names its user). */
export function dataFromEvents(
  accumulator: EventAccumulator,
  unit?: AnalysisUnit,
  reading?: number | ReadingCounts,
): ExperimentData {
  const counted = typeof reading === 'number' ? { malformed: reading } : reading;
  const notes: string[] = [];
  const duplicates = counted?.duplicateDecisionIds ?? 0;
  if (duplicates > 0) {
    notes.push(
      `${duplicates} outcomes repeat the decision id of an earlier line and are counted again (a file given twice, or a copy beside its .gz?)`,
    );
  }
  // No events at all: the user unit, whose report says there is nothing to compare yet.
  const chosen = unit ?? (accumulator.counts.withoutUnit === 0 ? 'user' : 'request');
  const counts = accumulator.counts;
  if (chosen === 'user' && counts.withoutUnit > 0) {
    notes.push(
      `${counts.withoutUnit} events carry no unit or userId and are left out at the user unit`,
    );
  }
  if (unit === undefined && chosen === 'request' && counts.analyzed > 0) {
    notes.push('analysed per request because not every event carries a unit or userId');
  }
  const both = accumulator.usersInBothArms;
  if (both > 0) notes.push(`${both} users appear in both arms and are left out of user counts`);
  const events: EventCountsReport = {
    analyzed: counts.analyzed,
    outside_experiment: counts.outsideExperiment,
    without_unit: counts.withoutUnit,
    users_in_both_arms: both,
  };
  if (counted !== undefined) events.malformed = counted.malformed;
  if (counted?.duplicateDecisionIds !== undefined)
    events.duplicate_decision_ids = counted.duplicateDecisionIds;
  if (counted?.malformed)
    notes.push(`${counted.malformed} events fail the event schema and are left out`);
  const data: ExperimentData = {
    source: 'events',
    stats: accumulator.stats(chosen),
    events,
    notes,
  };
  const covariates = chosen === 'user' ? accumulator.userCovariates() : null;
  if (covariates) data.covariates = covariates;
  const tails = accumulator.tailData(chosen);
  if (tails) data.tails = tails;
  if (accumulator.lastTime >= accumulator.firstTime)
    data.span = { first: accumulator.firstTime, last: accumulator.lastTime };
  return data;
}

/** Outcome event log files (JSON lines, `.gz` too), read in one pass when `read` is called. */
export function eventsSource(
  files: readonly string[],
  options: ReadEventOptions = {},
): ExperimentSource {
  return {
    kind: 'events',
    units: ['user', 'request'],
    async read(unit) {
      const read = await readEventFiles(files, options);
      return {
        ...dataFromEvents(read.accumulator, unit, read),
        examples: read.examples,
        duplicateExamples: read.duplicateExamples,
      };
    },
  };
}

/** Per-arm sufficient statistics (schemas/experiment-stats.schema.json), checked when read. */
export function statsSource(stats: ExperimentStats): ExperimentSource {
  return {
    kind: 'stats',
    units: [stats.unit],
    async read(unit) {
      const checked = checkStats(stats);
      if (!checked.ok)
        throw new FlagrouteError('INVALID_DATA', `the statistics: ${checked.problem}`);
      unitRefused('stats', unit, [stats.unit]);
      return { source: 'stats', stats, notes: [] };
    },
  };
}

/** A statistics file: JSON checked against the schema and for impossible numbers. */
export function statsFileSource(file: string): ExperimentSource {
  return {
    kind: 'stats',
    units: ['user', 'request'],
    async read(unit) {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (error) {
        throw new FlagrouteError('INVALID_DATA', `cannot read ${file}: ${fileErrorReason(error)}`, {
          cause: error,
        });
      }
      const text = decodeUtf8(bytes, { keepBom: true });
      if (typeof text !== 'string') {
        throw new FlagrouteError(
          'INVALID_DATA',
          `${file}:${text.line}:${text.column}: not UTF-8 (byte ${text.offset + 1} of the file); save it as UTF-8`,
        );
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        const fault = jsonSyntaxFault(text);
        const place = fault ? `:${fault.line}:${fault.column}` : '';
        throw new FlagrouteError(
          'INVALID_DATA',
          `${file}${place}: not JSON: ${fault?.what ?? 'it is not JSON'}`,
        );
      }
      const checked = checkStats(value);
      if (!checked.ok) {
        throw new FlagrouteError(
          'INVALID_DATA',
          `${file}: ${checked.problem} (see schemas/experiment-stats.schema.json)`,
        );
      }
      return statsSource(checked.stats).read(unit);
    },
  };
}

/** A fleet's request-level sums from Prometheus. */
export function prometheusSource(
  url: string,
  options: PrometheusSourceOptions = {},
): ExperimentSource {
  return {
    kind: 'prometheus',
    units: ['request'],
    async read(unit) {
      unitRefused('prometheus', unit, ['request']);
      const data: ExperimentData = {
        source: 'prometheus',
        stats: await statsFromPrometheus(url, options),
        notes: [],
      };
      // The cross-products are sums since each instance started: no window of them is read.
      const covariates =
        options.range === undefined ? await covariatesFromPrometheus(new URL(url), options) : null;
      if (covariates) data.covariates = covariates;
      else if (options.range !== undefined)
        data.notes.push('no variance reduction over a --range: covariate sums are read whole');
      return data;
    },
  };
}

/**
 * What a live source reads: a router's moments per cohort (`router.outcomeMoments()`) and, when
 * it keeps them, its request-level covariate sums (`router.outcomeCovariates`).
 */
export interface LiveOutcomes {
  outcomeMoments(): Readonly<Record<'lightrag' | 'perplexity', Record<OutcomeMetric, Moments>>>;
  /** Response times per cohort as HDR bucket counts, for the request-level tail test. */
  latencyCounts?(): Readonly<Record<'lightrag' | 'perplexity', Float64Array>>;
  readonly outcomeCovariates?: { snapshot(): RequestCovariateSnapshot };
}

/** A source over a live router's request-level moments, readable at once with `readNow`. */
export interface LiveSource extends ExperimentSource {
  /** The data now, synchronously (a router's moments are in memory). */
  readNow(unit?: AnalysisUnit): ExperimentData;
}

/** A router's outcomes since it started, per request (a router keeps no users). */
export function liveSource(router: LiveOutcomes): LiveSource {
  const readNow = (unit?: AnalysisUnit): ExperimentData => {
    unitRefused('live', unit, ['request']);
    const moments = router.outcomeMoments();
    const data: ExperimentData = {
      source: 'live',
      stats: {
        unit: 'request',
        arms: { lightrag: moments.lightrag, perplexity: moments.perplexity },
      },
      notes: [],
    };
    const counts = router.latencyCounts?.();
    if (counts) data.latencyCounts = [counts.lightrag, counts.perplexity];
    const snapshot = router.outcomeCovariates?.snapshot();
    const covariates = snapshot && covariatesOfRequests(snapshot);
    if (covariates) data.covariates = covariates;
    return data;
  };
  return { kind: 'live', units: ['request'], readNow, read: async (unit) => readNow(unit) };
}
