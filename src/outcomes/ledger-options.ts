import type { DecisionTokens } from '../decision-tokens/index.js';

/** Decisions remembered per server, so that an outcome can name its decision by id. */
export const LEDGER_SIZE = 100_000;
/** How long a decision id stays valid for its outcome. */
export const LEDGER_TTL_MS = 15 * 60 * 1000;

/** Options of a `DecisionLedger`; the defaults suit a server. */
export interface LedgerOptions {
  /** How many recent decisions are remembered. Default {@link LEDGER_SIZE}. */
  size?: number;
  /** How long an id stays valid, in milliseconds. Default {@link LEDGER_TTL_MS}. */
  ttlMs?: number;
  /** A monotonic clock in milliseconds. Default `performance.now`. */
  now?: () => number;
  /**
   * Signed decision tokens: with them every decision also gets a token that any instance
   * holding the key accepts, and each token takes one outcome.
   */
  tokens?: DecisionTokens | undefined;
  /** Settled tokens remembered (default `SETTLED_MEMORY`, see `SettledDecisions`). */
  settledMemory?: number;
}
