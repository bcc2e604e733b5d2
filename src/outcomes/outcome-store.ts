import { randomUUID } from 'node:crypto';
import type { DecisionLedger } from './decision-ledger.js';
import { type OutcomeSink, outcomeLine } from './event-log.js';
import type { OutcomeEvent } from './parse-outcome.js';
import type { OutcomeOrigin, OutcomeRecording, RecordedBatch } from './record-outcomes.js';
import { settleAll, type TiedOutcome, tieOutcomes } from './tie-outcome.js';

/** An outcome as an outcome store keeps it: its event, under its decision's id. */
export interface StoredOutcome {
  /** The key: a token's or a ledger's decision id, or `o-<uuid>` for an outcome that named none. */
  decisionId: string;
  /** The event as the event log writes it; `cohort` null for a decision that assigned none. */
  event: Omit<OutcomeEvent, 'cohort'> & { cohort: OutcomeEvent['cohort'] | null };
}

/**
 * A store that keeps each decision's one outcome for the whole fleet (the PostgreSQL event
 * store: its key is the decision id). Also a sink, for outcomes recorded in process
 * (`router.recordOutcome`), which it writes in the background.
 */
export interface OutcomeStore extends OutcomeSink {
  /**
   * Writes the outcomes whose decision has none yet and resolves with their ids; the others
   * (a replay, from any instance) are left out. Rejects with a coded error when it cannot take
   * them now (`STORE_UNAVAILABLE`, `EVENTS_BACKLOGGED`): then nothing of them was written.
   */
  keep(outcomes: readonly StoredOutcome[]): Promise<ReadonlySet<string>>;
}

/** The key a store keeps an outcome under: its decision's id, or `o-<uuid>` when it named none. */
export function outcomeKey(decisionId: string | undefined): string {
  return decisionId ?? `o-${randomUUID()}`;
}

/** A tied outcome as its store row, at `time` on `configVersion`. */
export function storedOutcomeOf(
  tied: TiedOutcome,
  time: number,
  configVersion: string,
): StoredOutcome {
  return { decisionId: outcomeKey(tied.decisionId), event: outcomeLine(tied, time, configVersion) };
}

/**
 * Settles, before the store is asked, the outcomes tied by a decision id of this process (not
 * by token), and returns their ids. A second post for one of them while the store writes the
 * first is then refused by the ledger (`already has its outcome`, 400) as in file mode, where
 * tying and settling happen in one turn; without the hold both were tied, and the store
 * answered the second as a duplicate (200). Tokens are left to the store: a replay of one is a
 * duplicate in both modes.
 */
function holdDecisionIds(outcomes: readonly TiedOutcome[], ledger: DecisionLedger): string[] {
  const held: string[] = [];
  for (const { decisionId, tokenExpiry } of outcomes) {
    if (decisionId === undefined || tokenExpiry !== undefined) continue;
    if (typeof ledger.settle(decisionId) !== 'string') held.push(decisionId);
  }
  return held;
}

/** What records an outcome that a store has kept already: the router's recorder. */
export interface KeptOutcomeRecording extends OutcomeRecording {
  /** Now, on the recorder's clock, and the configuration version serving. */
  now(): number;
  configVersion(): string;
}

/**
 * Records a batch of posted outcomes through an outcome store, so that each decision takes
 * one outcome fleet-wide: tied and checked whole as `recordOutcomes` does, then written to the
 * store, which leaves out every decision that has its outcome already (from any instance);
 * only the outcomes it wrote are recorded here. Decision ids of this process are settled
 * before the store is asked (see `holdDecisionIds`), so that a concurrent post of the same id
 * is refused as in file mode. When the store cannot take them, its coded error is thrown, the
 * ids are released and nothing is recorded, so the client may send the batch again.
 */
export async function recordOutcomesOnce(
  batch: unknown,
  ledger: DecisionLedger,
  recording: KeptOutcomeRecording,
  store: OutcomeStore,
  origin: OutcomeOrigin = 'trusted',
): Promise<RecordedBatch> {
  const { outcomes, duplicates } = tieOutcomes(batch, ledger, recording.unitSalt, {
    settle: false,
  });
  const time = recording.now();
  const configVersion = recording.configVersion();
  const rows = outcomes.map((tied) => storedOutcomeOf(tied, time, configVersion));
  const held = holdDecisionIds(outcomes, ledger);
  let fresh: ReadonlySet<string>;
  try {
    fresh = await store.keep(rows);
  } catch (error) {
    for (const id of held) ledger.release(id);
    throw error;
  }
  // Settled here too, new or not: a later replay to this instance is answered without the store.
  settleAll(outcomes, ledger);
  let recorded = 0;
  for (const [index, tied] of outcomes.entries()) {
    if (!fresh.has(rows[index]!.decisionId)) continue;
    recording.record(tied, origin, { time, keptBy: store });
    recorded += 1;
  }
  return { recorded, duplicates: duplicates.length + outcomes.length - recorded };
}
