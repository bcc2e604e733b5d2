import { FlagrouteError } from '../errors.js';
import { normalQuantile } from '../statistics/distributions.js';

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
