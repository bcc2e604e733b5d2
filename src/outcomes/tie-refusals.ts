import type { TokenRefusal } from '../decision-tokens/index.js';
import { InvalidOutcomeError, type OutcomeProblemAt } from '../errors.js';
import { unitKey } from './unit-key.js';

/**
 * Why an outcome was refused for what it said of its decision, as its problem's `reason`: its
 * token's refusal (`TOKEN_REFUSALS`), or `user_mismatch`, a `userId` that is not the user the
 * decision (named by token or by id) was made for.
 */
export type TieRefusal = TokenRefusal | 'user_mismatch';

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
