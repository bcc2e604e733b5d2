import { applyCapping, type CappingReport } from './capping.js';
import type { ExperimentStats } from './experiment-data.js';
import type { ExperimentData } from './experiment-source.js';
import type { TailSettings } from './tail-settings.js';
import { type TailTestReport, type TailTestSettings, tailTest } from './tail-test.js';
import type { CovariateData } from './variance-reduction.js';

export type { CappingReport } from './capping.js';
export type { TailTestReport } from './tail-test.js';

/** What the heavy-tailed metrics add to a report. */
export interface TailSections {
  /** The statistics with the capped metrics' moments in place. */
  stats: ExperimentStats;
  /** Present when capping was asked for. */
  capping?: CappingReport[];
  /** The source's covariate cross-products, the capped metrics' made from their capped values. */
  covariates?: CovariateData;
  tails: TailTestReport;
  notes: string[];
}

const percent = (value: number) => `${value}th percentile`;

/** Capping (when asked) and the tail test, from a source's values, with notes for the reader. */
export function tailSections(
  stats: ExperimentStats,
  data: Pick<ExperimentData, 'tails' | 'latencyCounts' | 'covariates'>,
  settings: TailSettings & TailTestSettings,
): TailSections {
  const capped = applyCapping(stats, data.tails, settings, data.covariates);
  const notes: string[] = [];
  for (const entry of capped.capping) {
    notes.push(
      entry.missing
        ? `${entry.metric} is not capped: this source keeps sums, not values (cap from the event log)`
        : `${entry.metric} is capped at each arm's ${percent(entry.percentile)} before the users' means (winsorized: see capping)${data.covariates ? '; so is its variance reduction' : ''}`,
    );
  }
  for (const metric of capped.covariatesLeftOut)
    notes.push(
      `${metric} has no variance reduction: it is capped, and the data keeps no covariates per user to adjust its capped values`,
    );
  const tails = tailTest(
    data.tails ?? data.latencyCounts,
    stats.unit,
    settings.tailPercentiles,
    settings,
  );
  if (tails.unit === 'request' && (data.tails || data.latencyCounts))
    notes.push(
      "the tail test is per request: a user's repeated requests are taken as independent, so its intervals are too narrow when users repeat",
    );
  const sections: TailSections = { stats: capped.stats, tails, notes };
  if (capped.covariates) sections.covariates = capped.covariates;
  if (capped.capping.length > 0) sections.capping = capped.capping;
  return sections;
}
