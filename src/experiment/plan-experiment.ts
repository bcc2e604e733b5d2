import { formatDuration } from '../duration.js';
import { FlagrouteError } from '../errors.js';
import { OUTCOME_METRICS, type OutcomeMetric } from '../metrics/index.js';
import {
  detectionProbability,
  nonInferiorityProbability,
  smallestSampleSize,
  textbookSampleSize,
} from '../statistics/index.js';
import { summarize } from './arm-moments.js';
import type { ExperimentData } from './experiment-source.js';

/** A guardrail the plan must leave room for: its baseline's per-unit mean and spread. */
export interface PlanGuardrail {
  metric: OutcomeMetric;
  mean: number;
  sd: number;
}

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
  /** Guardrails the winner must be shown non-inferior on (with no true difference). */
  guardrails?: readonly PlanGuardrail[];
  /** Their non-inferiority margin, relative. Default 0.05. */
  guardrailTolerance?: number;
  /** The winner rule's minimum units per arm. Default 100. */
  minUnitsPerArm?: number;
}

/** One guardrail's share of the plan: its spread and its chance to pass at the planned n. */
export interface PlannedGuardrail {
  metric: OutcomeMetric;
  /** Coefficient of variation per unit: sd / |mean|. */
  cv: number;
  pass_probability: number;
}

/** Sample size for a two-arm test at equal split, under the winner rule. */
export interface ExperimentPlan {
  /** Units per arm at which the winner rule names the better arm with `power`. */
  units_per_arm: number;
  units_total: number;
  /** The textbook n for the primary alone (no guardrails, no minimum). */
  textbook_units_per_arm: number;
  /** The probability that the rule names the winner at `units_per_arm`, by the same model. */
  expected_power: number;
  guardrails: PlannedGuardrail[];
  guardrail_tolerance: number;
  min_units_per_arm: number;
  /** Days at the given traffic, or null when the traffic is unknown. */
  days: number | null;
  alpha: number;
  power: number;
  mde: number;
  absolute_mde: number;
}

/**
 * Units per arm at which the winner rule (docs/experiments.md) names the better arm with the
 * given power when the primary metric truly differs by `mde` (relative) and the guardrails do
 * not differ: P(the primary is significant) x P(every guardrail is shown within its margin),
 * each by the normal approximation, at least the rule's minimum. Without guardrails and above
 * the minimum it is the textbook n = 2 (z_{1-alpha/2} + z_{power})^2 sd^2 / (mde * mean)^2.
 */
export function planExperiment(input: PlanInput): ExperimentPlan {
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  const tolerance = input.guardrailTolerance ?? 0.05;
  const minimum = input.minUnitsPerArm ?? 100;
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
  check(tolerance > 0, `the guardrail tolerance must be above 0 to plan for, got ${tolerance}`);
  for (const guardrail of input.guardrails ?? []) {
    check(
      guardrail.mean !== 0 && guardrail.sd >= 0,
      `guardrail ${guardrail.metric} needs a non-zero mean and a spread of 0 or more`,
    );
  }
  const absolute = Math.abs(input.mde * input.baselineMean);
  const cvs = (input.guardrails ?? []).map((g) => ({
    metric: g.metric,
    cv: g.sd / Math.abs(g.mean),
  }));
  const rulePower = (n: number) =>
    cvs.reduce(
      (product, g) => product * nonInferiorityProbability(n, g.cv, tolerance, alpha),
      detectionProbability(n, input.baselineSd, absolute, alpha),
    );
  const perArm = smallestSampleSize(rulePower, power, minimum);
  const perDay = input.unitsPerDay;
  return {
    units_per_arm: perArm,
    units_total: 2 * perArm,
    textbook_units_per_arm: textbookSampleSize(input.baselineSd, absolute, alpha, power),
    expected_power: rulePower(perArm),
    guardrails: cvs.map((g) => ({
      ...g,
      pass_probability: nonInferiorityProbability(perArm, g.cv, tolerance, alpha),
    })),
    guardrail_tolerance: tolerance,
    min_units_per_arm: minimum,
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
  /** Guardrails to plan for, read from the data. Default: with data, the other four metrics. */
  guardrails?: readonly OutcomeMetric[];
  guardrailTolerance?: number;
  minUnitsPerArm?: number;
}

/** A plan with the baseline and traffic it was computed from. */
export type DataPlan = ExperimentPlan & {
  metric: OutcomeMetric;
  baseline_mean: number;
  baseline_sd: number;
  units_per_day: number | null;
  /** What the plan could not account for (a guardrail without data blocks every winner). */
  notes: string[];
};

/** The Perplexity arm's per-unit mean and standard deviation of a metric, when it has them. */
function baselineOf(data: ExperimentData, metric: OutcomeMetric) {
  const moments = data.stats.arms.perplexity[metric];
  const summary = moments ? summarize(moments) : null;
  return summary ? { mean: summary.mean, sd: Math.sqrt(summary.variance) } : null;
}

/** The shortest span of events whose rate is taken as a day's traffic. */
const SHORTEST_TRAFFIC_SPAN_MS = 3_600_000;

/**
 * The units a day the events' span shows, or why not (a note). A span under an hour is no
 * day's traffic: four users posted within a millisecond made "345600000 units a day" and
 * "about 0.0 days" (the units were right, the span was a burst).
 */
function unitsPerDayOf(data: ExperimentData): number | string | undefined {
  const span = data.span;
  if (!span || !(span.last > span.first)) return undefined;
  const units = data.stats.units
    ? data.stats.units.lightrag + data.stats.units.perplexity
    : (data.events?.analyzed ?? 0);
  const ms = span.last - span.first;
  if (ms < SHORTEST_TRAFFIC_SPAN_MS) {
    return `the events span only ${formatDuration(ms)}, too short to tell a day's traffic (at least 1h): give --units-per-day`;
  }
  return units / (ms / 86_400_000);
}

/**
 * A plan from data: the baseline's per-unit mean and standard deviation of the metric and of
 * each guardrail from the Perplexity arm at the data's unit (unless given), and the units per
 * day from the events' time span (users at the user unit, outcomes otherwise; unless given).
 * The CLI and a server share it.
 */
export function planFromData(data: ExperimentData | null, input: DataPlanInput): DataPlan {
  const found = data ? baselineOf(data, input.metric) : null;
  const mean = input.baselineMean ?? found?.mean;
  const sd = input.baselineSd ?? found?.sd;
  const traffic = input.unitsPerDay ?? (data ? unitsPerDayOf(data) : undefined);
  const unitsPerDay = typeof traffic === 'number' ? traffic : undefined;
  if (mean === undefined || sd === undefined) {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `give the baseline's mean and standard deviation, or data with at least 2 baseline units carrying ${input.metric}`,
    );
  }
  const notes: string[] = typeof traffic === 'string' ? [traffic] : [];
  const guardrails: PlanGuardrail[] = [];
  const names = input.guardrails ?? (data ? OUTCOME_METRICS.filter((m) => m !== input.metric) : []);
  for (const metric of names) {
    const baseline = data ? baselineOf(data, metric) : null;
    if (baseline && baseline.mean !== 0) guardrails.push({ metric, ...baseline });
    else
      notes.push(
        `guardrail ${metric} has no baseline data to plan for (a zero mean or fewer than 2 units); the winner rule blocks on a guardrail it cannot check`,
      );
  }
  const plan = planExperiment({
    mde: input.mde,
    baselineMean: mean,
    baselineSd: sd,
    guardrails,
    ...(input.alpha === undefined ? {} : { alpha: input.alpha }),
    ...(input.power === undefined ? {} : { power: input.power }),
    ...(unitsPerDay === undefined ? {} : { unitsPerDay }),
    ...(input.guardrailTolerance === undefined
      ? {}
      : { guardrailTolerance: input.guardrailTolerance }),
    ...(input.minUnitsPerArm === undefined ? {} : { minUnitsPerArm: input.minUnitsPerArm }),
  });
  return {
    metric: input.metric,
    ...plan,
    baseline_mean: mean,
    baseline_sd: sd,
    units_per_day: unitsPerDay ?? null,
    notes,
  };
}
