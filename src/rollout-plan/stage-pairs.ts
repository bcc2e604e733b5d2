import { outcomeEventOf, type RecordedOutcome } from '../outcomes/index.js';
import { LIVE_PAIR_UNITS, PairedTally } from '../shadow/index.js';

/**
 * The in-process router's shadow pairs for a shadow stage, per user (at most
 * {@link LIVE_PAIR_UNITS} users; later users' pairs are counted, not analysed). One tally, from
 * its first pair: a reading for a stage that started after that first pair starts afresh, so
 * that pairs from before the stage (a file's own shadow share) never count for it.
 */
export class StagePairTally {
  private tally = new PairedTally(LIVE_PAIR_UNITS);
  /** When the tally's first pair was recorded (null: it has none). */
  private firstAt: number | null = null;

  /** One recorded outcome that carries a shadow result. */
  add(recorded: RecordedOutcome): void {
    const event = outcomeEventOf(recorded);
    if (event === null) return;
    this.firstAt ??= recorded.time;
    this.tally.add(event);
  }

  /** The pairs of a stage that started at `since` (ms since the epoch, the router's clock). */
  since(since: number): PairedTally {
    if (this.firstAt !== null && this.firstAt < since) {
      this.tally = new PairedTally(LIVE_PAIR_UNITS);
      this.firstAt = null;
    }
    return this.tally;
  }
}
