import type { ErrorObject, ValidateFunction } from 'ajv';
import { describeAllowed, echoed, show } from '../config/schema-errors.js';
import { outcomeSchema, type SchemaNode, validators } from '../config/schemas.js';
import type { Backend } from '../config/types.js';
import { notUnicode } from '../decision/context.js';
import type { Cohort } from '../decision/types.js';
import type { Covariates, Outcome } from '../metrics/index.js';
import type { Result } from '../result.js';
import { lineProblem, type OutcomeProblem, pathOf } from './line-problem.js';
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
  /** `lightrag` when the decision was picked for the shadow (a `Decision` says so). */
  shadow?: 'lightrag' | null;
  /** Why the decision went where it did: a whole `Decision` has it, and so says its shadow. */
  reason?: string;
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

const VALIDATORS: Readonly<Record<OutcomeShape, ValidateFunction>> = {
  report: validators.outcomeReport,
  decision: validators.outcomeDecision,
  posted: validators.outcomePosted,
  event: validators.outcomeEvent,
};

/**
 * Checks one outcome whole against its shape in the schema (compiled at build time), and says
 * what is wrong with the first problem: an unknown or missing field, a value out of range or of
 * the wrong type. A report or a posted outcome names its fields as an API caller wrote them,
 * with the path into a nested object (`outcome.latencyMs`, `outcome.shadow.success`,
 * `outcome.preference.winner`, `decision.backend`); an event line names them as the file has
 * them. A `userId` that is not well-formed Unicode (a lone surrogate) is refused as the routing
 * context refuses one (see `notUnicode`). The outcome is returned as it was given: validation
 * adds nothing.
 */
export function parseOutcome<Shape extends OutcomeShape>(
  value: unknown,
  shape: Shape,
): Result<{ outcome: OutcomeShapes[Shape] }, { problem: OutcomeProblem }> {
  const validate = VALIDATORS[shape];
  if (validate(value)) {
    const userId = (value as { userId?: unknown }).userId;
    if (typeof userId === 'string' && !userId.isWellFormed()) {
      const field = shape === 'event' ? 'userId' : fieldName(['userId'], shape);
      return { ok: false, problem: problem(field, notUnicode(userId)) };
    }
    return { ok: true, outcome: value as OutcomeShapes[Shape] };
  }
  const errors = validate.errors ?? [];
  if (shape === 'event') return { ok: false, problem: lineProblem(errors[0], 'the event') };
  return { ok: false, problem: callProblem(firstInOrder(withoutAlternatives(errors)), shape) };
}

/**
 * An `anyOf` (a decision's covariates: an object or null) fails with each alternative's errors
 * and its own. At its own place its `x-allowed` says the allowed shapes once, so the
 * alternatives' errors there go; where an alternative failed deeper (a covariate of the wrong
 * type) that error says what is wrong, and the `anyOf`'s goes instead.
 */
function withoutAlternatives(errors: readonly ErrorObject[]): readonly ErrorObject[] {
  const choices = errors.filter((error) => error.keyword === 'anyOf');
  if (choices.length === 0) return errors;
  const below = (error: ErrorObject, at: string) => {
    const path = `/${pathOf(error).join('/')}`;
    return path.startsWith(`${at}/`);
  };
  return errors.filter((error) =>
    choices.every((choice) => {
      if (error === choice) return !errors.some((other) => below(other, choice.instancePath));
      return (
        error.keyword === 'anyOf' ||
        below(error, choice.instancePath) ||
        error.instancePath !== choice.instancePath
      );
    }),
  );
}

const DEFINITIONS = (outcomeSchema as { definitions: Record<string, SchemaNode> }).definitions;
/** The fields of a posted outcome in schema order (a report's are a part of them). */
const FIELD_ORDER = Object.keys(DEFINITIONS.posted?.properties ?? {});

/**
 * For an API caller, the first problem in a fixed order: the object itself, then the decision's
 * fields, then unknown fields, then the outcome's own fields in schema order (a problem inside
 * a nested object at its field's place).
 */
function firstInOrder(errors: readonly ErrorObject[]): ErrorObject | undefined {
  const rank = (error: ErrorObject) => {
    const path = pathOf(error);
    if (error.keyword === 'additionalProperties' && path.length === 1) {
      return FIELD_ORDER.indexOf('success') - 0.5;
    }
    return path.length === 0 ? -1 : FIELD_ORDER.indexOf(path[0]!);
  };
  return [...errors].sort((a, b) => rank(a) - rank(b))[0];
}

const TIE_FIELDS: Readonly<Record<string, string>> = {
  decisionId: 'decisionId',
  decisionToken: 'decisionToken',
  backend: 'decision.backend',
  cohort: 'decision.cohort',
};

/**
 * A field as the caller wrote it, by its path: `decision.<path>` in a decision, the decision's
 * fields of a posted outcome by their names, `outcome.<path>` otherwise. A key the schema does
 * not know (the caller's text) is cut to a bounded length.
 */
function fieldName(path: readonly string[], shape: OutcomeShape): string {
  const [top, ...below] = path.map((key) => echoed(key));
  if (top === undefined) return shape === 'decision' ? 'decision' : 'outcome';
  if (shape === 'decision') return ['decision', top, ...below].join('.');
  // A report has no decision fields: there, `backend` is an unknown field of the outcome.
  const tie = shape !== 'report' && below.length === 0 && Object.hasOwn(TIE_FIELDS, top);
  return tie ? TIE_FIELDS[top]! : ['outcome', top, ...below].join('.');
}

function problem(field: string, message: string): OutcomeProblem {
  return { field, message, text: `${field} ${message}` };
}

/** A problem of a report or a posted outcome, in the API's words (as `INVALID_OUTCOME` says it). */
function callProblem(error: ErrorObject | undefined, shape: OutcomeShape): OutcomeProblem {
  if (!error) return problem(fieldName([], shape), 'is not valid');
  const parent = (error.parentSchema ?? {}) as SchemaNode;
  const path = pathOf(error);
  if (error.keyword === 'additionalProperties') {
    const known = Object.keys(parent.properties ?? {}).join(', ');
    const within = path.length === 1 ? 'an outcome' : fieldName(path.slice(0, -1), shape);
    return problem(fieldName(path, shape), `is not a field of ${within}; use ${known}`);
  }
  if (error.keyword === 'required') {
    const allowed = parent.properties?.[path.at(-1)!];
    return problem(
      fieldName(path, shape),
      `is required${allowed ? `: ${describeAllowed(resolve(allowed))}` : ''}`,
    );
  }
  if (path.length === 0) {
    return shape === 'decision'
      ? problem('decision', 'must be the decision object the outcome is for')
      : problem('outcome', 'must be an object');
  }
  return problem(
    fieldName(path, shape),
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
