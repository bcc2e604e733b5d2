import { InvalidArgumentError } from '../errors.js';
import { isTailMetric, TAIL_METRICS, type TailMetric } from '../metrics/index.js';
import {
  type ExperimentOptions,
  type ExperimentSettings,
  settingsOf,
} from './experiment-settings.js';

/**
 * How a report treats the heavy-tailed metrics (response time, cost): the environment file's
 * `experiment:` block, `experiment report --cap` and `--tail-percentiles`.
 */
export interface TailOptions {
  /**
   * Winsorize a metric at this percentile of each arm's values (above 50, below 100) before
   * the users' means: values above the arm's cap count as the cap. Default: no capping.
   */
  capping?: Partial<Record<TailMetric, number>>;
  /** The percentiles of response time whose difference is tested. Default 95 and 99. */
  tailPercentiles?: readonly number[];
}

/** {@link TailOptions} checked, with the defaults. */
export interface TailSettings {
  capping: Partial<Record<TailMetric, number>>;
  tailPercentiles: number[];
}

/** The percentiles tested when none are given. */
export const DEFAULT_TAIL_PERCENTILES: readonly number[] = [95, 99];

const PERCENTILE_ALLOWED = 'a percentile above 50 and below 100';
const isPercentile = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 50 && value < 100;

/** Checks tail options (`INVALID_ARGUMENT` naming the option, as `naming` calls it). */
export function tailSettingsOf(
  options: TailOptions,
  naming: 'option' | 'flag' = 'option',
): TailSettings {
  const [capName, percentilesName] =
    naming === 'flag' ? ['--cap', '--tail-percentiles'] : ['capping', 'tailPercentiles'];
  const capping: Partial<Record<TailMetric, number>> = {};
  for (const [metric, percentile] of Object.entries(options.capping ?? {})) {
    if (!isTailMetric(metric))
      throw new InvalidArgumentError(
        capName,
        `can cap ${TAIL_METRICS.join(' and ')} only, got ${JSON.stringify(metric)}`,
      );
    if (!isPercentile(percentile))
      throw new InvalidArgumentError(
        `${capName} ${metric}`,
        `must be ${PERCENTILE_ALLOWED}, got ${JSON.stringify(percentile)}`,
      );
    capping[metric] = percentile;
  }
  const tailPercentiles = [...(options.tailPercentiles ?? DEFAULT_TAIL_PERCENTILES)];
  for (const percentile of tailPercentiles) {
    if (!isPercentile(percentile))
      throw new InvalidArgumentError(
        percentilesName,
        `must hold ${PERCENTILE_ALLOWED}, got ${JSON.stringify(percentile)}`,
      );
  }
  return { capping, tailPercentiles };
}

/**
 * `--cap` as given on the command line: `metric=percentile` pairs (`response_time=99`),
 * separated by commas or given as several words.
 */
export function cappingFromText(texts: readonly string[]): Partial<Record<TailMetric, number>> {
  const capping: Record<string, number> = {};
  for (const pair of texts.flatMap((text) => text.split(',')).filter(Boolean)) {
    const [metric, percentile, ...rest] = pair.split('=');
    const value = Number(percentile);
    if (rest.length > 0 || metric === undefined || percentile === undefined || percentile === '')
      throw new InvalidArgumentError(
        '--cap',
        `must be metric=percentile (response_time=99), got ${JSON.stringify(pair)}`,
      );
    capping[metric] = value;
  }
  return capping;
}

/** `--tail-percentiles` as given: numbers separated by commas or given as several words. */
export function percentilesFromText(texts: readonly string[]): number[] {
  return texts
    .flatMap((text) => text.split(','))
    .filter(Boolean)
    .map((text) => {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value))
        throw new InvalidArgumentError(
          '--tail-percentiles',
          `must hold numbers, got ${JSON.stringify(text)}`,
        );
      return value;
    });
}

/** A report's settings: the analysis's and the heavy-tailed metrics'. */
export type ReportSettings = ExperimentSettings & TailSettings;

/** Checks a report's options of both kinds and fills in their defaults. */
export function reportSettingsOf(options: ExperimentOptions & TailOptions): ReportSettings {
  return { ...settingsOf(options), ...tailSettingsOf(options) };
}
