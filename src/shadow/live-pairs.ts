import { outcomeEventOf, type RecordedOutcome } from '../outcomes/index.js';
import { PairedTally } from './paired-tally.js';

/** The most users a process keeps pairs for (a few hundred bytes each): about 30 MB. */
export const LIVE_PAIR_UNITS = 100_000;

/** What {@link livePairs} reads of a router: its `outcome` events (a structural view). */
export interface OutcomeEvents {
  on(event: 'outcome', listener: (outcome: RecordedOutcome) => void): unknown;
  off(event: 'outcome', listener: (outcome: RecordedOutcome) => void): unknown;
}

/**
 * The pairs this process records from now on, per user, as the event log would have them:
 * a tally fed by the router's `outcome` events (at most `maxUnits` users; pairs of later
 * users are counted, not analysed), and the function that stops feeding it.
 */
export function livePairs(
  router: OutcomeEvents,
  maxUnits = LIVE_PAIR_UNITS,
): { tally: PairedTally; stop: () => void } {
  const tally = new PairedTally(maxUnits);
  const listener = (recorded: RecordedOutcome) => {
    if (recorded.shadow === undefined) return;
    const event = outcomeEventOf(recorded);
    if (event) tally.add(event);
  };
  router.on('outcome', listener);
  return { tally, stop: () => router.off('outcome', listener) };
}
