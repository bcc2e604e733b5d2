import type { ErrorObject, ValidateFunction } from 'ajv';
import { describeAllowed, show } from '../config/schema-errors.js';
import { outcomeSchema, type SchemaNode, validators } from '../config/schemas.js';
import type { Backend } from '../config/types.js';
import type { Cohort } from '../decision/types.js';
import type { Covariates, Outcome } from '../metrics/index.js';
import type { Result } from '../result.js';
import type { ShadowParts } from './shadow-pair.js';

/** What a service reports about one call it made after a decision (`router.recordOutcome`). */
export type OutcomeReport = Outcome &
  ShadowParts & {
    /**
     * The user the query was for: only turned into the outcome event log's pseudonymous unit
     * (never stored or logged as given), so that experiments can be analysed per user.
     */
    userId?: string;
  };

/**
 * An outcome posted over HTTP or tracked through the OpenFeature provider: a report and the
 * decision it follows, by id, or by backend (and cohort) when the decision was made elsewhere.
 */
export type PostedOutcome = OutcomeReport & {
  decisionId?: string;
  /** A signed decision token (any instance with the decision key reads it). */
  decisionToken?: string;
  backend?: Backend;
  cohort?: Cohort | null;
};

/** One line of an outcome event log. */
export type OutcomeEvent = Outcome &
  ShadowParts & {
    time: string;
    unit?: string;
    userId?: string;
    cohort: Cohort;
    backend: Backend;
    decisionId?: string;
    configVersion?: string;
    /** The decision's covariates (what it knew of the query before routing it). */
    covariates?: Covariates;
  };

/** The decision an outcome follows, as `router.recordOutcome` takes it. */
export type OutcomeDecision = {
  backend: Backend;
  cohort?: Cohort | null;
  /** The half-open breaker's trial slot the decision took, if any. */
  breakerTrial?: number;
  /** The decision's id (from the ledger of a server or a provider). */
  decisionId?: string;
  /** The decision's covariates (a `Decision` carries them), written with the outcome. */
  covariates?: Covariates | null;
};

/**
 * The shapes an outcome arrives in, each a part of schemas/outcome-event.schema.json: a report
 * with the decision it follows (`router.recordOutcome`), a posted outcome (`POST /v1/outcomes`,
 * the provider's `track`), an event log line.
 */
export interface OutcomeShapes {
  report: OutcomeReport;
  decision: OutcomeDecision;
  posted: PostedOutcome;
  event: OutcomeEvent;
}
/** A shape an outcome arrives in. */
export type OutcomeShape = keyof OutcomeShapes;

/** What is wrong with an outcome: the field, what is wrong with it, and both as one sentence. */
export interface OutcomeProblem {
  /** `outcome.latencyMs`, `decision.cohort`, `decisionId` (a line's own key for events). */
  field: string;
  /** What is wrong, to follow the field's name. */
  message: string;
  /** The whole sentence: `<field> <message>` for reports, the terse form for event lines. */
  text: string;
}

const VALIDATORS: Readonly<Record<OutcomeShape, ValidateFunction>> = {
  report: validators.outcomeReport,
  decision: validators.outcomeDecision,
  posted: validators.outcomePosted,
  event: validators.outcomeEvent,
};

/**
 * Checks one outcome whole against its shape in the schema (compiled at build time), and says
 * what is wrong with the first problem: an unknown or missing field, a value out of range or of
 * the wrong type. A report or a posted outcome names its fields as an API caller wrote them
 * (`outcome.latencyMs`, `decision.backend`); an event line names them as the file has them.
 * The outcome is returned as it was given: validation adds nothing.
 */
export function parseOutcome<Shape extends OutcomeShape>(
  value: unknown,
  shape: Shape,
): Result<{ outcome: OutcomeShapes[Shape] }, { problem: OutcomeProblem }> {
  const validate = VALIDATORS[shape];
  if (validate(value)) return { ok: true, outcome: value as OutcomeShapes[Shape] };
  const errors = validate.errors ?? [];
  const first = shape === 'event' ? errors[0] : firstInOrder(errors);
  return {
    ok: false,
    problem: shape === 'event' ? lineProblem(first, 'the event') : callProblem(first, shape),
  };
}

/** The key of the object an Ajv error is about (unknown, missing or wrong); '' for the object. */
function keyOf(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') {
    return String((error.params as { additionalProperty: string }).additionalProperty);
  }
  if (error.keyword === 'required') {
    return String((error.params as { missingProperty: string }).missingProperty);
  }
  return error.instancePath.slice(1).split('/')[0] ?? '';
}

const DEFINITIONS = (outcomeSchema as { definitions: Record<string, SchemaNode> }).definitions;
/** The fields of a posted outcome in schema order (a report's are a part of them). */
const FIELD_ORDER = Object.keys(DEFINITIONS.posted?.properties ?? {});

/**
 * For an API caller, the first problem in a fixed order: the object itself, then the decision's
 * fields, then unknown fields, then the outcome's own fields in schema order.
 */
function firstInOrder(errors: readonly ErrorObject[]): ErrorObject | undefined {
  const rank = (error: ErrorObject) => {
    if (error.keyword === 'additionalProperties') return FIELD_ORDER.indexOf('success') - 0.5;
    const key = keyOf(error);
    return key === '' ? -1 : FIELD_ORDER.indexOf(key);
  };
  return [...errors].sort((a, b) => rank(a) - rank(b))[0];
}

const TIE_FIELDS: Readonly<Record<string, string>> = {
  decisionId: 'decisionId',
  decisionToken: 'decisionToken',
  backend: 'decision.backend',
  cohort: 'decision.cohort',
};

function fieldName(key: string, shape: OutcomeShape): string {
  if (key === '') return shape === 'decision' ? 'decision' : 'outcome';
  // A report has no decision fields: there, `backend` is an unknown field of the outcome.
  const tie = shape !== 'report' && Object.hasOwn(TIE_FIELDS, key);
  return tie ? TIE_FIELDS[key]! : `outcome.${key}`;
}

function problem(field: string, message: string): OutcomeProblem {
  return { field, message, text: `${field} ${message}` };
}

/** A problem of a report or a posted outcome, in the API's words (as `INVALID_OUTCOME` says it). */
function callProblem(error: ErrorObject | undefined, shape: OutcomeShape): OutcomeProblem {
  if (!error) return problem(fieldName('', shape), 'is not valid');
  const parent = (error.parentSchema ?? {}) as SchemaNode;
  if (error.keyword === 'additionalProperties') {
    const known = Object.keys(parent.properties ?? {}).join(', ');
    return problem(fieldName(keyOf(error), shape), `is not a field of an outcome; use ${known}`);
  }
  if (error.keyword === 'required') {
    const missing = keyOf(error);
    const allowed = parent.properties?.[missing];
    return problem(
      fieldName(missing, shape),
      `is required${allowed ? `: ${describeAllowed(resolve(allowed))}` : ''}`,
    );
  }
  const key = keyOf(error);
  if (key === '') {
    return shape === 'decision'
      ? problem('decision', 'must be the decision object the outcome is for')
      : problem('outcome', 'must be an object');
  }
  return problem(
    fieldName(key, shape),
    `must be ${describeAllowed(parent)}, got ${show(error.data)}`,
  );
}

/**
 * What is wrong with `value` for an outcome's `field`, as a message to follow the field's name;
 * `allowed` says what the field takes in the caller's words (another unit), else the schema's.
 */
export function valueProblem(field: string, value: unknown, allowed?: string): string {
  const node = DEFINITIONS.posted?.properties?.[field];
  const said = allowed ?? (node ? describeAllowed(resolve(node)) : 'valid');
  return `must be ${said}, got ${show(value)}`;
}

/** A property's schema behind its `$ref` (the schema's definitions). */
function resolve(node: SchemaNode): SchemaNode {
  if (!node.$ref?.startsWith('#/definitions/')) return node;
  return DEFINITIONS[node.$ref.slice('#/definitions/'.length)] ?? node;
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
 * `latencyMs must be >= 0`, `unknown field "latency"`, `arms: missing field "perplexity"`.
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
    const key = keyOf(error);
    return line(key, 'is not a field', `${within}unknown field "${key}"`);
  }
  if (error.keyword === 'required') {
    const missing = keyOf(error);
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
  return line(path, error.message ?? 'is not valid');
}
