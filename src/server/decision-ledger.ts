import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Decision } from '../routing/types.js';

/** What an outcome reported over HTTP needs of the decision it follows. */
export type LedgerEntry = Pick<Decision, 'backend' | 'cohort' | 'breakerTrial'>;

/** Decisions remembered per server, so that an outcome can name its decision by id. */
export const LEDGER_SIZE = 100_000;
/** How long a decision id stays valid for its outcome. */
export const LEDGER_TTL_MS = 15 * 60 * 1000;

/**
 * Remembers the backend, cohort and breaker trial of recent decisions under a random id, so
 * that an outcome posted later (`POST /v1/outcomes {decisionId}`) is counted for the right
 * cohort and, when the decision took a half-open trial slot, decides the breaker. Bounded in
 * entries and age; an id that has expired is reported as unknown, never guessed.
 */
export class DecisionLedger {
  private readonly entries = new LRUCache<string, LedgerEntry>({
    max: LEDGER_SIZE,
    ttl: LEDGER_TTL_MS,
  });

  /** Remembers a decision; returns its id. */
  remember(decision: Decision): string {
    const id = randomUUID();
    const entry: LedgerEntry =
      decision.breakerTrial === undefined
        ? { backend: decision.backend, cohort: decision.cohort }
        : {
            backend: decision.backend,
            cohort: decision.cohort,
            breakerTrial: decision.breakerTrial,
          };
    this.entries.set(id, entry);
    return id;
  }

  /** The decision an id names, if it is still remembered. */
  find(id: string): LedgerEntry | undefined {
    return this.entries.get(id);
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }
}
