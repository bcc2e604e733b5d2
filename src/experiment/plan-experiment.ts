import { FlagrouteError } from '../errors.js';
import type { OutcomeMetric } from '../metrics/index.js';
import { normalQuantile } from '../statistics/index.js';
import { summarize } from './arm-moments.js';
import type { ExperimentData } from './experiment-source.js';

/** What {@link planExperiment} needs: the baseline's per-unit mean and standard deviation. */
export interface PlanInput {
  /** Relative minimum detectable effect, e.g. 0.05 for 5 % of the baseline mean. */
  mde: number;
  baselineMean: number;
  baselineSd: number;
  /** Two-sided significance level. Default 0.05. */
  alpha?: number;
  /** Power. Default 0.8. */
  power?: number;
  /** Units (users, or requests at the request unit) entering the experiment per day, both arms. */
  unitsPerDay?: number;
}

/** Sample size for a two-arm test at equal split. */
export interface ExperimentPlan {
  units_per_arm: number;
  units_total: number;
  /** Days at the given traffic, or null when the traffic is unknown. */
  days: number | null;
  alpha: number;
  power: number;
  mde: number;
  absolute_mde: number;
}

/**
 * Units per arm for a two-sided test of a relative change `mde` with the given power, by the
 * normal approximation: n = 2 (z_{1-alpha/2} + z_{power})^2 sd^2 / (mde * mean)^2.
 */
export function planExperiment(input: PlanInput): ExperimentPlan {
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  const check = (ok: boolean, message: string) => {
    if (!ok) throw new FlagrouteError('INVALID_ARGUMENT', message);
  };
  check(input.mde > 0, `--mde must be above 0 (a relative change, 0.05 = 5 %), got ${input.mde}`);
  check(
    input.baselineMean !== 0 && Number.isFinite(input.baselineMean),
    `the baseline mean must be a non-zero number, got ${input.baselineMean}`,
  );
  check(
    input.baselineSd > 0,
    `the baseline standard deviation must be above 0, got ${input.baselineSd}`,
  );
  check(alpha > 0 && alpha < 0.5, `alpha must be above 0 and below 0.5, got ${alpha}`);
  check(power > 0.5 && power < 1, `power must be above 0.5 and below 1, got ${power}`);
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  const absolute = Math.abs(input.mde * input.baselineMean);
  const perArm = Math.ceil(2 * ((z * input.baselineSd) / absolute) ** 2);
  const perDay = input.unitsPerDay;
  return {
    units_per_arm: perArm,
    units_total: 2 * perArm,
    days: perDay !== undefined && perDay > 0 ? (2 * perArm) / perDay : null,
    alpha,
    power,
    mde: input.mde,
    absolute_mde: absolute,
  };
}

/** What {@link planFromData} needs; the baseline and the traffic default to the data's. */
export interface DataPlanInput {
  metric: OutcomeMetric;
  mde: number;
  alpha?: number;
  power?: number;
  baselineMean?: number;
  baselineSd?: number;
  unitsPerDay?: number;
}

/** A plan with the baseline and traffic it was computed from. */
export type DataPlan = ExperimentPlan & {
  metric: OutcomeMetric;
  baseline_mean: number;
  baseline_sd: number;
  units_per_day: number | null;
};

/**
 * A plan from data: the baseline's per-unit mean and standard deviation from the Perplexity
 * arm at the data's unit (unless given), and the units per day from the events' time span
 * (users at the user unit, outcomes otherwise; unless given). The CLI and a server share it.
 */
export function planFromData(data: ExperimentData | null, input: DataPlanInput): DataPlan {
  let mean = input.baselineMean;
  let sd = input.baselineSd;
  let unitsPerDay = input.unitsPerDay;
  if (data) {
    const baseline = data.stats.arms.perplexity[input.metric];
    const summary = baseline ? summarize(baseline) : null;
    if (summary) {
      mean ??= summary.mean;
      sd ??= Math.sqrt(summary.variance);
    }
    const span = data.span;
    if (unitsPerDay === undefined && span && span.last > span.first) {
      const units = data.stats.units
        ? data.stats.units.lightrag + data.stats.units.perplexity
        : (data.events?.analyzed ?? 0);
      unitsPerDay = units / ((span.last - span.first) / 86_400_000);
    }
  }
  if (mean === undefined || sd === undefined) {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `give the baseline's mean and standard deviation, or data with at least 2 baseline units carrying ${input.metric}`,
    );
  }
  const plan = planExperiment({
    mde: input.mde,
    baselineMean: mean,
    baselineSd: sd,
    ...(input.alpha === undefined ? {} : { alpha: input.alpha }),
    ...(input.power === undefined ? {} : { power: input.power }),
    ...(unitsPerDay === undefined ? {} : { unitsPerDay }),
  });
  return {
    metric: input.metric,
    ...plan,
    baseline_mean: mean,
    baseline_sd: sd,
    units_per_day: unitsPerDay ?? null,
  };
}
