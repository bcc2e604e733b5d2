import type { ErrorObject } from 'ajv';
import { echoed, show } from '../config/schema-errors.js';
import type { SchemaNode } from '../config/schemas.js';

/** What is wrong with an outcome: the field, what is wrong with it, and both as one sentence. */
export interface OutcomeProblem {
  /** `outcome.latencyMs`, `decision.cohort`, `decisionId` (a line's own key for events). */
  field: string;
  /** What is wrong, to follow the field's name. */
  message: string;
  /** The whole sentence: `<field> <message>` for reports, the terse form for event lines. */
  text: string;
}

/**
 * Where an Ajv error points, as keys from the outcome down: its instance path, then the key it
 * is about (an unknown or a missing one); [] for the outcome itself.
 */
export function pathOf(error: ErrorObject): string[] {
  const path =
    error.instancePath === ''
      ? []
      : error.instancePath
          .slice(1)
          .split('/')
          .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'additionalProperties') {
    path.push(String((error.params as { additionalProperty: string }).additionalProperty));
  } else if (error.keyword === 'required') {
    path.push(String((error.params as { missingProperty: string }).missingProperty));
  }
  return path;
}

const KINDS: Readonly<Record<string, string>> = {
  object: 'an object',
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
};

/**
 * A problem of a line of a data file (an outcome event, or experiment statistics), tersely:
 * `latencyMs must be >= 0`, `unknown field "latency"`, `arms: missing field "perplexity"`,
 * `time must be an ISO 8601 time with its zone, such as ..., got "yesterday"`.
 */
export function lineProblem(error: ErrorObject | undefined, subject: string): OutcomeProblem {
  if (!error) return { field: '', message: 'is not valid', text: `${subject} is not valid` };
  const path = error.instancePath.slice(1).replaceAll('/', '.');
  const where = path === '' ? subject : path;
  const within = path === '' ? '' : `${path}: `;
  const line = (field: string, message: string, text = `${where} ${message}`) => ({
    field,
    message,
    text,
  });
  if (error.keyword === 'additionalProperties') {
    const key = echoed(pathOf(error).at(-1)!);
    return line(key, 'is not a field', `${within}unknown field "${key}"`);
  }
  if (error.keyword === 'required') {
    const missing = pathOf(error).at(-1)!;
    return line(missing, 'is missing', `${within}missing field "${missing}"`);
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return line(path, `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`);
  }
  if (error.keyword === 'type') {
    const type = (error.params as { type: string }).type;
    return line(path, `must be ${KINDS[type] ?? type}`);
  }
  if (error.keyword === 'pattern') {
    // A pattern's own message is its regular expression; the schema says it in words too (a
    // test holds every pattern to having them).
    const allowed = (error.parentSchema as SchemaNode | undefined)?.['x-allowed'] ?? 'valid';
    return line(path, `must be ${allowed}, got ${show(error.data)}`);
  }
  return line(path, error.message ?? 'is not valid');
}
