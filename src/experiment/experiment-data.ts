import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { SCHEMA_DIR } from '../config/schemas.js';
import type { OutcomeMetric } from '../metrics/sufficient-stats.js';
import type { Result } from '../result.js';
import type { ArmMoments } from './arm-moments.js';

/** The two arms of the experiment: treatment first. */
export const ARMS = ['lightrag', 'perplexity'] as const;
/** An arm: `lightrag` is the treatment, `perplexity` the baseline. */
export type Arm = (typeof ARMS)[number];

/** The unit of analysis. */
export type AnalysisUnit = 'request' | 'user';

/** One line of an outcome event log (schemas/outcome-event.schema.json). */
export interface OutcomeEvent {
  time: string;
  unit?: string;
  userId?: string;
  cohort: 'lightrag' | 'perplexity' | 'control';
  backend: 'lightrag' | 'perplexity';
  success: boolean;
  latencyMs?: number;
  quality?: number;
  costUsd?: number;
  satisfaction?: number;
  decisionId?: string;
  configVersion?: string;
}

/**
 * Per-arm sufficient statistics of every metric (schemas/experiment-stats.schema.json): what
 * `analyzeExperiment` reads, whether it came from events, Prometheus or a warehouse.
 */
export interface ExperimentStats {
  unit: AnalysisUnit;
  /** Distinct units per arm for the sample-ratio test; absent: events are counted instead. */
  units?: Record<Arm, number>;
  arms: Record<Arm, Partial<Record<OutcomeMetric, ArmMoments>>>;
}

let compiled:
  | { event: ValidateFunction<OutcomeEvent>; stats: ValidateFunction<ExperimentStats> }
  | undefined;

/** The two validators, compiled on first use (commands that read no events never pay for it). */
function validatorsOf() {
  if (!compiled) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    const ajv = new Ajv({ allErrors: false, strict: true });
    const schema = (name: string) =>
      JSON.parse(readFileSync(join(SCHEMA_DIR, name), 'utf8')) as object;
    compiled = {
      event: ajv.compile<OutcomeEvent>(schema('outcome-event.schema.json')),
      stats: ajv.compile<ExperimentStats>(schema('experiment-stats.schema.json')),
    };
  }
  return compiled;
}

function describeError(error: ErrorObject | undefined, subject: string): string {
  if (!error) return 'is not valid';
  const path = error.instancePath.slice(1).replaceAll('/', '.');
  const where = path === '' ? subject : path;
  const within = path === '' ? '' : `${path}: `;
  if (error.keyword === 'additionalProperties') {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    return `${within}unknown field "${key}"`;
  }
  if (error.keyword === 'required') {
    return `${within}missing field "${(error.params as { missingProperty: string }).missingProperty}"`;
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `${where} must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`;
  }
  if (error.keyword === 'type') {
    const type = (error.params as { type: string }).type;
    const kinds: Record<string, string> = {
      object: 'an object',
      string: 'a string',
      number: 'a number',
      integer: 'a whole number',
      boolean: 'true or false',
    };
    return `${where} must be ${kinds[type] ?? type}`;
  }
  return `${where} ${error.message ?? 'is not valid'}`;
}

/** One parsed JSON value as an outcome event, or what is wrong with it. */
export function checkEvent(value: unknown): Result<{ event: OutcomeEvent }, { problem: string }> {
  const validate = validatorsOf().event;
  if (validate(value)) return { ok: true, event: value };
  return { ok: false, problem: describeError(validate.errors?.[0], 'the event') };
}

/** A parsed JSON value as experiment statistics, or what is wrong with it. */
export function checkStats(
  value: unknown,
): Result<{ stats: ExperimentStats }, { problem: string }> {
  const validate = validatorsOf().stats;
  if (validate(value)) return { ok: true, stats: value };
  return { ok: false, problem: describeError(validate.errors?.[0], 'the statistics') };
}
