import { echoed, show } from '../config/schema-errors.js';
import { InvalidArgumentError } from '../errors.js';
import { OUTCOME_METRICS, type OutcomeMetric } from '../metrics/index.js';
import type { AnalysisUnit } from './experiment-data.js';

/** Options of an analysis; every one has a default. */
export interface ExperimentOptions {
  /** Two-sided significance level, in (0, 0.5). Default 0.05. */
  alpha?: number;
  /** The metric that decides the winner, tested on its own. Default `quality_score`. */
  primary?: OutcomeMetric;
  /** Metrics the winner must be shown non-inferior on. Default: the other four. */
  guardrails?: readonly OutcomeMetric[];
  /**
   * The non-inferiority margin of every guardrail, relative to the other arm's mean: a winner
   * needs the bad-side bound of each guardrail's (1 - alpha) interval within it. Default 0.05.
   */
  guardrailTolerance?: number;
  /** Decide from the always-valid (sequential) intervals. Default false (fixed horizon). */
  sequential?: boolean;
  /** N* of the sequential interval. Default 5000. */
  sequentialTuning?: number;
  /** The sample-ratio test's p-value below which the split is a mismatch. Default 0.001. */
  srmThreshold?: number;
  /** Expected share of units in the treatment arm. Default 0.5. */
  treatmentShare?: number;
  /** Units each arm needs before a winner is named (the plan's n, or this). Default 100. */
  minUnitsPerArm?: number;
  /**
   * Name a winner from request-level data (no unit counts, or `unit: 'request'`), whose
   * significance is overstated when users repeat queries. Default false.
   */
  allowRequestLevelWinner?: boolean;
  /** Unit of analysis for events; default `user` when every event carries a unit or user id. */
  unit?: AnalysisUnit;
}

/** The options of an analysis, checked, with every default filled in. */
export interface ExperimentSettings {
  alpha: number;
  primary: OutcomeMetric;
  guardrails: OutcomeMetric[];
  guardrailTolerance: number;
  sequential: boolean;
  sequentialTuning: number;
  srmThreshold: number;
  treatmentShare: number;
  minUnitsPerArm: number;
  allowRequestLevelWinner: boolean;
}

type Kind = 'number' | 'metric' | 'metrics' | 'boolean' | 'unit';

/** One setting: its names in the library, on the wire and on the command line, and its rule. */
export interface SettingField {
  option: keyof ExperimentOptions;
  /** The JSON and HTTP query name (`guardrail_tolerance`). */
  wire: string;
  /** The command-line flag (`--guardrail-tolerance`). */
  flag: string;
  kind: Kind;
  /** What is allowed, to follow "must be". */
  allowed: string;
  check?: (value: number) => boolean;
  description: string;
}

const metricList = OUTCOME_METRICS.join(', ');

/**
 * Every setting of an analysis, once: the library's options, `GET /v1/experiment`'s query and
 * `flagroute experiment report`'s flags are read and checked through this one table.
 */
export const EXPERIMENT_SETTING_FIELDS: readonly SettingField[] = [
  {
    option: 'alpha',
    wire: 'alpha',
    flag: '--alpha',
    kind: 'number',
    allowed: 'above 0 and below 0.5',
    check: (a) => a > 0 && a < 0.5,
    description: 'significance level (default 0.05)',
  },
  {
    option: 'primary',
    wire: 'primary',
    flag: '--primary',
    kind: 'metric',
    allowed: `one of ${metricList}`,
    description: 'the metric that decides the winner (default quality_score)',
  },
  {
    option: 'guardrails',
    wire: 'guardrails',
    flag: '--guardrails',
    kind: 'metrics',
    allowed: `metrics among ${metricList}`,
    description: 'metrics the winner must be non-inferior on (default: the other four)',
  },
  {
    option: 'guardrailTolerance',
    wire: 'guardrail_tolerance',
    flag: '--guardrail-tolerance',
    kind: 'number',
    allowed: 'a number of 0 or more',
    check: (t) => t >= 0,
    description: 'non-inferiority margin of the guardrails, relative (default 0.05)',
  },
  {
    option: 'sequential',
    wire: 'sequential',
    flag: '--sequential',
    kind: 'boolean',
    allowed: 'true or false',
    description: 'decide from the always-valid intervals (default: fixed horizon)',
  },
  {
    option: 'sequentialTuning',
    wire: 'sequential_tuning',
    flag: '--sequential-tuning',
    kind: 'number',
    allowed: 'above 0',
    check: (n) => n > 0,
    description: 'N* of the sequential interval (default 5000)',
  },
  {
    option: 'srmThreshold',
    wire: 'srm_threshold',
    flag: '--srm-threshold',
    kind: 'number',
    allowed: 'between 0 and 1',
    check: (p) => p > 0 && p < 1,
    description: 'sample-ratio p-value below which the split is a mismatch (default 0.001)',
  },
  {
    option: 'treatmentShare',
    wire: 'treatment_share',
    flag: '--treatment-share',
    kind: 'number',
    allowed: 'between 0 and 1',
    check: (s) => s > 0 && s < 1,
    description: "the treatment arm's expected share of units (default 0.5)",
  },
  {
    option: 'minUnitsPerArm',
    wire: 'min_units_per_arm',
    flag: '--min-units-per-arm',
    kind: 'number',
    allowed: 'a whole number of 2 or more',
    check: (n) => Number.isInteger(n) && n >= 2,
    description: 'units each arm needs before a winner is named (default 100)',
  },
  {
    option: 'allowRequestLevelWinner',
    wire: 'allow_request_level_winner',
    flag: '--allow-request-level-winner',
    kind: 'boolean',
    allowed: 'true or false',
    description: 'name a winner from request-level data (significance overstated)',
  },
  {
    option: 'unit',
    wire: 'unit',
    flag: '--unit',
    kind: 'unit',
    allowed: 'request or user',
    description: 'request or user (default: user when every event names its user)',
  },
];

/** Which of a setting's names a message uses: the caller's vocabulary. */
export type SettingNaming = 'option' | 'wire' | 'flag';

const nameOf = (field: SettingField, naming: SettingNaming) =>
  naming === 'option' ? field.option : naming === 'wire' ? field.wire : field.flag;

function fieldOf(option: keyof ExperimentOptions): SettingField {
  return EXPERIMENT_SETTING_FIELDS.find((field) => field.option === option)!;
}

const DEFAULTS = {
  alpha: 0.05,
  primary: 'quality_score',
  guardrailTolerance: 0.05,
  sequential: false,
  sequentialTuning: 5000,
  srmThreshold: 0.001,
  treatmentShare: 0.5,
  minUnitsPerArm: 100,
  allowRequestLevelWinner: false,
} as const;

/**
 * Checks the options (`INVALID_ARGUMENT` naming the first bad one, in the caller's vocabulary)
 * and fills in the defaults.
 */
export function settingsOf(
  options: ExperimentOptions,
  naming: SettingNaming = 'option',
): ExperimentSettings {
  const invalid = (option: keyof ExperimentOptions, got: unknown, why?: string): never => {
    const field = fieldOf(option);
    throw new InvalidArgumentError(
      nameOf(field, naming),
      why ?? `must be ${field.allowed}, got ${show(got)}`,
    );
  };
  const number = <K extends keyof typeof DEFAULTS>(option: K) => {
    const value = (options[option] as number | undefined) ?? (DEFAULTS[option] as number);
    if (typeof value !== 'number' || !Number.isFinite(value) || !fieldOf(option).check!(value))
      invalid(option, value);
    return value;
  };
  const flag = (option: 'sequential' | 'allowRequestLevelWinner') => {
    const value = options[option] ?? DEFAULTS[option];
    if (typeof value !== 'boolean') invalid(option, value);
    return value;
  };
  const primary = options.primary ?? DEFAULTS.primary;
  if (!OUTCOME_METRICS.includes(primary)) invalid('primary', primary);
  const guardrails = [...(options.guardrails ?? OUTCOME_METRICS.filter((m) => m !== primary))];
  for (const metric of guardrails) {
    if (!OUTCOME_METRICS.includes(metric)) invalid('guardrails', metric);
    if (metric === primary)
      invalid('guardrails', metric, `cannot hold ${metric}: it is the primary metric`);
  }
  if (options.unit !== undefined && options.unit !== 'request' && options.unit !== 'user')
    invalid('unit', options.unit);
  return {
    alpha: number('alpha'),
    primary,
    guardrails,
    guardrailTolerance: number('guardrailTolerance'),
    sequential: flag('sequential'),
    sequentialTuning: number('sequentialTuning'),
    srmThreshold: number('srmThreshold'),
    treatmentShare: number('treatmentShare'),
    minUnitsPerArm: number('minUnitsPerArm'),
    allowRequestLevelWinner: flag('allowRequestLevelWinner'),
  };
}

/**
 * Options from text, as a query string or command-line flags give them (`naming` says which):
 * numbers parsed, `true`/`false` read, metric lists split at commas. Unknown names, and
 * `exclude`d ones (a source that has no choice of unit), are refused naming `where` and what is
 * allowed.
 * The result still goes through {@link settingsOf}.
 */
export function optionsFromText(
  values: Readonly<Record<string, string | readonly string[] | boolean | undefined>>,
  naming: 'wire' | 'flag',
  where: string,
  exclude: readonly (keyof ExperimentOptions)[] = [],
): ExperimentOptions {
  const fields = EXPERIMENT_SETTING_FIELDS.filter((field) => !exclude.includes(field.option));
  const byName = new Map(fields.map((field) => [nameOf(field, naming), field]));
  const options: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(values)) {
    if (raw === undefined) continue;
    const field = byName.get(name);
    if (!field) {
      const known = [...byName.keys()].join(', ');
      throw new InvalidArgumentError(echoed(name), `is not an option of ${where}; use ${known}`);
    }
    // A key repeated in a query string arrives as a list; a variadic flag's list is one value.
    if (naming === 'wire' && Array.isArray(raw))
      throw new InvalidArgumentError(name, 'is given more than once; give it once');
    options[field.option] = parsedValue(field, raw, nameOf(field, naming));
  }
  return options as ExperimentOptions;
}

/** A number as a person writes one: digits, a point, an exponent; no hex, octal or binary. */
const DECIMAL = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

function parsedValue(field: SettingField, raw: string | readonly string[] | boolean, name: string) {
  if (typeof raw === 'boolean') return raw;
  const texts = (typeof raw === 'string' ? [raw] : raw).flatMap((text) => text.split(','));
  const text = texts.join(',');
  switch (field.kind) {
    case 'number': {
      const value = Number(text);
      // Number() also reads 0x10, 0o20 and 0b10000 (16): a setting is written in decimal.
      if (!DECIMAL.test(text) || !Number.isFinite(value))
        throw new InvalidArgumentError(name, `must be a number, got ${show(text)}`);
      return value;
    }
    case 'boolean':
      if (text === 'true' || text === '') return true;
      if (text === 'false') return false;
      throw new InvalidArgumentError(name, `must be true or false, got ${show(text)}`);
    case 'metrics':
      return texts.filter(Boolean);
    default:
      return text;
  }
}
