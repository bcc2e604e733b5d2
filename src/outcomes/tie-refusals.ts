import type { TokenRefusal } from '../decision-tokens/index.js';
import { InvalidOutcomeError, type OutcomeProblemAt } from '../errors.js';
import { unitKey } from './unit-key.js';

/**
 * Why an outcome was refused for what it said of its decision, as its problem's `reason`: its
 * token's refusal (`TOKEN_REFUSALS`), `user_mismatch`, a `userId` that is not the user the
 * decision (named by token or by id) was made for, or `no_decision`, an outcome that names no
 * decision on a server that holds a decision key.
 */
export type TieRefusal = TokenRefusal | 'user_mismatch' | 'no_decision';

/**
 * The outcomes refused so far for what they said of their decision, by reason: what
 * `registerOutcomeRefusalMetrics` exports as `flagroute_outcomes_refused_total{reason}`, for a
 * server's ledger and an in-process provider's alike.
 */
export interface RefusalCounts {
  /** The refusals so far, by reason (counters: they only grow). */
  byReason(): ReadonlyMap<TieRefusal, number>;
}

/** Outcomes refused for what they said of their decision, counted by reason, for `/metrics`. */
export class TieRefusals implements RefusalCounts {
  private readonly counts = new Map<TieRefusal, number>();

  /** Counts one refused outcome. */
  count(reason: TieRefusal): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  /**
   * The error that refuses a batch of `size` with `problems`, each problem with a `reason`
   * counted (a token's refusal, `user_mismatch`).
   */
  refuse(problems: readonly OutcomeProblemAt[], size: number): InvalidOutcomeError {
    for (const { reason } of problems) if (reason) this.count(reason as TieRefusal);
    return InvalidOutcomeError.batch(problems, size);
  }

  /** The refusals so far, by reason. */
  byReason(): ReadonlyMap<TieRefusal, number> {
    return this.counts;
  }
}

/**
 * The problem of an outcome whose `userId` is not the user its decision was made for (whose
 * unit key is `unit`), at its index in a batch: refused alike by decision id and by token.
 * Undefined when it is that user, or when the outcome or the decision names none.
 */
export function userMismatch(
  userId: string | undefined,
  unit: string | undefined,
  salt: string,
  index: number,
): OutcomeProblemAt | undefined {
  if (userId === undefined || unit === undefined || unitKey(userId, salt) === unit)
    return undefined;
  const message = 'userId is not the user the decision was made for';
  return { index, field: 'userId', message, reason: 'user_mismatch' };
}

/**
 * The problem of an outcome that names no decision (no token, no id) on a server that holds a
 * decision key. Every decision there carries a token, so an outcome without one is checked
 * against nothing: kept, it would let whoever holds the ingest token invent users and arms that
 * move a rollout plan forward.
 */
export function noDecision(index: number): OutcomeProblemAt {
  const message =
    'decisionToken is required: this server holds a decision key (FLAGROUTE_DECISION_KEY), so an outcome names its decision by the decisionToken of /v1/decide or OFREP metadata (or by decisionId, on the instance that decided); an outcome naming only its backend and cohort is checked against no decision and would count toward the rollout plan';
  return { index, field: 'decisionToken', message, reason: 'no_decision' };
}
