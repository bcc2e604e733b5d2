import { echoed } from '../config/schema-errors.js';
import type { Backend } from '../config/types.js';
import type { Cohort } from '../decision/types.js';
import { TOKEN_REFUSAL_MESSAGES } from '../decision-tokens/index.js';
import { InvalidOutcomeError, type OutcomeProblemAt } from '../errors.js';
import {
  type Covariates,
  covariatesOfClaim,
  METRIC_TABLE,
  type Outcome,
} from '../metrics/index.js';
import type { OutcomeTie } from '../safety/circuit-breaker.js';
import { cohortMismatch } from './arm-of-cohort.js';
import type { DecisionLedger, LedgerEntry } from './decision-ledger.js';
import { ledgerMissMessage } from './ledger-miss.js';
import {
  type OutcomeDecision,
  type OutcomeReport,
  type PostedOutcome,
  parseOutcome,
  valueProblem,
} from './parse-outcome.js';
import { pairRefusal, type ShadowParts, shadowPartsOf, unpaired } from './shadow-pair.js';
import { noDecision, userMismatch } from './tie-refusals.js';
import { unitKey } from './unit-key.js';

/** An outcome tied to its decision: what the router records (with the shadow's half of a pair). */
export interface TiedOutcome extends ShadowParts {
  backend: Backend;
  cohort: Cohort | null;
  /** The measured values only (never the user id). */
  outcome: Outcome;
  tie: OutcomeTie;
  /** The user's pseudonymous unit key (see `unitKey`), when the outcome named its user. */
  unit?: string;
  /** The decision's id, when the outcome named its decision by id or by token. */
  decisionId?: string;
  /** The token's expiry, when the outcome named its decision by a token (to settle it). */
  tokenExpiry?: number;
  /** The decision's covariates, when it was in an experiment arm and its context gave any. */
  covariates?: Covariates;
}

/** A batch tied: the outcomes to record, and the indexes of those whose decision had one. */
export interface TiedBatch {
  outcomes: TiedOutcome[];
  /** Items whose token had taken its outcome already: answered as duplicates, not counted. */
  duplicates: number[];
}

/** The most outcomes one batch may carry. */
export const MAX_OUTCOMES_PER_BATCH = 1000;

/** The measured values of an outcome, read through the metric table. */
function measured(report: OutcomeReport): Outcome {
  const outcome: Record<string, unknown> = {};
  for (const { field } of METRIC_TABLE) {
    const value = (report as Record<string, unknown>)[field];
    if (value !== undefined) outcome[field] = value;
  }
  return outcome as Outcome;
}

function tied(
  decision: { [K in keyof LedgerEntry]?: LedgerEntry[K] | undefined } & Pick<
    LedgerEntry,
    'backend'
  >,
  report: OutcomeReport,
  salt: string,
  decisionId: string | undefined,
): TiedOutcome {
  const result: TiedOutcome = {
    backend: decision.backend,
    cohort: decision.cohort ?? null,
    outcome: measured(report),
    tie: { kind: 'decision', trial: decision.breakerTrial ?? null },
    ...shadowPartsOf(report),
  };
  // An outcome that names no user counts for its decision's, when the decision had one.
  const unit = report.userId === undefined ? decision.unit : unitKey(report.userId, salt);
  if (unit !== undefined) result.unit = unit;
  if (decisionId !== undefined) result.decisionId = decisionId;
  if (decision.covariates) result.covariates = decision.covariates;
  return result;
}

/**
 * Ties a report to the decision it follows (`router.recordOutcome`): both are checked whole
 * first, and the first problem is thrown as an `InvalidOutcomeError` naming its field. A pair
 * is checked as over HTTP ({@link pairRefusal}); a whole `Decision` (one with its `reason`)
 * tells whether it was picked for the shadow, so a pair for one that was not is refused.
 */
export function tieOutcome(decision: unknown, report: unknown, salt: string): TiedOutcome {
  const checkedDecision = parseOutcome(decision, 'decision');
  if (!checkedDecision.ok) throw problemError(checkedDecision.problem);
  const checkedReport = parseOutcome(report, 'report');
  if (!checkedReport.ok) throw problemError(checkedReport.problem);
  const given: OutcomeDecision = checkedDecision.outcome;
  const trial = typeof given.breakerTrial === 'number' ? given.breakerTrial : undefined;
  const id = typeof given.decisionId === 'string' ? given.decisionId : undefined;
  const { backend, covariates } = given;
  const cohort = given.cohort ?? null;
  const mismatch = cohortMismatch(backend, cohort);
  if (mismatch) throw new InvalidOutcomeError('decision.cohort', `decision.cohort ${mismatch}`);
  const whole = typeof given.reason === 'string';
  const shadow = given.shadow === 'lightrag' || (whole ? false : undefined);
  const pairing = pairRefusal(checkedReport.outcome, { backend, cohort, shadow });
  if (pairing) throw new InvalidOutcomeError(...pairing);
  const known = { backend, cohort, breakerTrial: trial, covariates };
  return tied(known, checkedReport.outcome, salt, id);
}

/**
 * Ties a call to a backend that names no decision (the guide's `recordSuccess` and
 * `recordFailure`, whose arguments are positional): checked through the same schema, each
 * problem named by the caller's argument and value (`responseTimeSeconds`, `qualityScore`).
 */
export function tieCall(
  backend: unknown,
  report: OutcomeReport,
  argumentsByField: Readonly<Record<string, { name: string; value: unknown; allowed?: string }>>,
): TiedOutcome {
  const checkedBackend = parseOutcome({ backend }, 'decision');
  if (!checkedBackend.ok) {
    throw new InvalidOutcomeError('backend', checkedBackend.problem.message);
  }
  const checked = parseOutcome(report, 'report');
  if (!checked.ok) {
    const key = checked.problem.field.replace(/^outcome\./, '');
    const given = Object.hasOwn(argumentsByField, key) ? argumentsByField[key] : undefined;
    if (!given) throw problemError(checked.problem);
    throw new InvalidOutcomeError(given.name, valueProblem(key, given.value, given.allowed));
  }
  return {
    backend: checkedBackend.outcome.backend,
    cohort: null,
    outcome: measured(checked.outcome),
    tie: { kind: 'untied' },
  };
}

function problemError(problem: { field: string; message: string }): InvalidOutcomeError {
  return new InvalidOutcomeError(problem.field, problem.message);
}

/**
 * Ties a batch of posted outcomes (one, or a list of 1 to {@link MAX_OUTCOMES_PER_BATCH}) to
 * their decisions: by `decisionToken` (signed, from any instance with the key), by
 * `decisionId` through the ledger, else by `backend` and `cohort`. The batch is checked whole
 * first; on any problem an `InvalidOutcomeError` lists every bad item (a refused token with its
 * `reason`) and nothing is tied. A token whose decision already has its outcome is a duplicate:
 * left out and listed, not an error, so that a client may retry a post safely. Then every id
 * and token is settled (`settle: false` leaves that to a store that settles fleet-wide).
 */
export function tieOutcomes(
  batch: unknown,
  ledger: DecisionLedger,
  salt: string,
  options: { settle?: boolean } = {},
): TiedBatch {
  const items = Array.isArray(batch) ? batch : [batch];
  if (items.length === 0 || items.length > MAX_OUTCOMES_PER_BATCH) {
    throw new InvalidOutcomeError(
      'outcomes',
      `must be one outcome or a list of 1 to ${MAX_OUTCOMES_PER_BATCH}`,
    );
  }
  const ids = new Set<string>();
  const results = items.map((item, index) => tieOne(item, index, ledger, ids, salt));
  const problems = results.filter((each): each is OutcomeProblemAt => 'index' in each);
  if (problems.length > 0) throw ledger.refusals.refuse(problems, items.length);
  const outcomes: TiedOutcome[] = [];
  const duplicates: number[] = [];
  for (const [index, result] of (results as (TiedOutcome | Duplicate)[]).entries()) {
    if ('duplicate' in result) duplicates.push(index);
    else outcomes.push(result);
  }
  if (options.settle !== false) settleAll(outcomes, ledger);
  return { outcomes, duplicates };
}

/** Marks each outcome's decision (by id or by token) as having its outcome. */
export function settleAll(outcomes: readonly TiedOutcome[], ledger: DecisionLedger): void {
  for (const each of outcomes) {
    if (each.decisionId === undefined) continue;
    if (each.tokenExpiry === undefined) ledger.settle(each.decisionId);
    else ledger.settleToken({ id: each.decisionId, exp: each.tokenExpiry });
  }
}

/** An item whose token's decision already has its outcome. */
interface Duplicate {
  duplicate: true;
}

function tieOne(
  item: unknown,
  index: number,
  ledger: DecisionLedger,
  earlier: Set<string>,
  salt: string,
): TiedOutcome | Duplicate | OutcomeProblemAt {
  const checked = parseOutcome(item, 'posted');
  if (!checked.ok) return { index, field: checked.problem.field, message: checked.problem.text };
  const posted: PostedOutcome = checked.outcome;
  const { decisionId, decisionToken, backend, cohort } = posted;
  const at = (field: string, message: string) => ({ index, field, message: `${field} ${message}` });
  if (decisionToken !== undefined) {
    if (decisionId !== undefined) {
      return at('decisionToken', 'names the decision already: send it without decisionId');
    }
    return tieToken(posted, decisionToken, index, ledger, earlier, salt);
  }
  if (decisionId === undefined) {
    if (backend === undefined) {
      return at(
        'decision.backend',
        'is required without a decisionId or a decisionToken: "lightrag" or "perplexity", the backend that served the query',
      );
    }
    const mismatch = cohortMismatch(backend, cohort);
    if (mismatch) return at('decision.cohort', mismatch);
    if (ledger.tokens) return noDecision(index);
    const decision = { backend, cohort: cohort ?? null };
    return unpaired(posted, decision, index) ?? tied(decision, posted, salt, undefined);
  }
  if (earlier.has(decisionId)) return at('decisionId', 'appears twice in this batch');
  earlier.add(decisionId);
  const found = ledger.find(decisionId);
  if (typeof found === 'string') {
    return at('decisionId', `${ledgerMissMessage(found)}: ${echoed(decisionId, true)}`);
  }
  if (backend !== undefined && backend !== found.backend) {
    return at('backend', `is ${JSON.stringify(backend)} but the decision chose "${found.backend}"`);
  }
  // As by token: a cohort the decision did not assign is the caller's mistake, not ignored.
  if (cohort !== undefined && cohort !== found.cohort) {
    return at(
      'decision.cohort',
      `is ${JSON.stringify(cohort)} but the decision assigned ${JSON.stringify(found.cohort)}`,
    );
  }
  const otherUser = userMismatch(posted.userId, found.unit, salt, index);
  if (otherUser) return otherUser;
  // A decision not picked for the shadow takes no pair, by its id as by its token.
  const picked = { ...found, shadow: found.shadow === true };
  return unpaired(posted, picked, index) ?? tied(found, posted, salt, decisionId);
}

/** Ties an outcome by its decision token (never echoing the token, which is a credential of sorts). */
function tieToken(
  posted: PostedOutcome,
  token: string,
  index: number,
  ledger: DecisionLedger,
  earlier: Set<string>,
  salt: string,
): TiedOutcome | Duplicate | OutcomeProblemAt {
  const at = (field: string, message: string, reason?: string) => ({
    index,
    field,
    message: `${field} ${message}`,
    ...(reason === undefined ? {} : { reason }),
  });
  const check = ledger.checkToken(token);
  if (!check.ok) return at('decisionToken', TOKEN_REFUSAL_MESSAGES[check.reason], check.reason);
  const { claims } = check;
  if (earlier.has(claims.id)) return at('decisionToken', 'appears twice in this batch');
  earlier.add(claims.id);
  if (posted.backend !== undefined && posted.backend !== claims.backend) {
    return at(
      'backend',
      `is ${JSON.stringify(posted.backend)} but the decision chose "${claims.backend}"`,
    );
  }
  if (posted.cohort !== undefined && posted.cohort !== claims.cohort) {
    return at(
      'decision.cohort',
      `is ${JSON.stringify(posted.cohort)} but the decision assigned ${JSON.stringify(claims.cohort)}`,
    );
  }
  const otherUser = userMismatch(posted.userId, claims.unit, salt, index);
  if (otherUser) return otherUser;
  const refused = unpaired(posted, { ...claims, shadow: claims.shadow === true }, index);
  if (refused) return refused;
  if (check.status === 'duplicate') return { duplicate: true };
  // A breaker trial is a slot of the issuing process's breaker: elsewhere it means nothing.
  const trial = ledger.owns(claims.id) ? claims.trial : undefined;
  // The claim `cov`: an extension of the version 1 claim set, which older readers keep.
  const covariates = covariatesOfClaim(claims.cov);
  const { backend, cohort, unit } = claims;
  const decision = { backend, cohort, covariates, unit, breakerTrial: trial };
  const result = tied(decision, posted, salt, claims.id);
  result.tokenExpiry = claims.exp;
  return result;
}
