/**
 * What "half load" means in the HTTP bench: half the highest rate a server keeps pace with beside
 * the paced client itself (paced-load.ts), found by bisection in the same run.
 *
 * Half of autocannon's maximum was not half: autocannon measured it with a core of its own,
 * while the paced client, at that rate, took more than a core of the machine's two (its two
 * threads wake once a request each: see docs/performance.md, "session 11, the paced client"), so
 * at "half load" every request waited for a connection and the p99 was a saturated server's.
 */

import { INITIAL_CONNECTIONS } from './paced-slots.js';

/** What a paced run says about whether the server kept pace (a part of paced-load.ts's output). */
export interface PaceEvidence {
  /** Requests in the measured part of the run (after the warm-up). */
  measured: number;
  /** Of those, the ones due with at least {@link BACKLOG} requests unanswered ahead of them. */
  backlogged: number;
  /** Whether the client itself kept to its schedule (else nothing about the server can be said). */
  onSchedule: boolean;
}

/**
 * Requests unanswered ahead of a new one that make it "backlogged": the client's initial
 * connections. At rate r that is 32 / r seconds of traffic (6.4 ms at 5,000 req/s), far beyond a
 * half-loaded server's answer time, whose queue is rarely longer than one or two requests.
 * Counted from the requests in flight, not from the ones that waited for a connection: the client
 * opens connections on demand, so after a stall (or a cold warm-up) opened 256 of them, a backlog
 * of 255 requests no longer made anyone wait for one.
 */
export const BACKLOG = INITIAL_CONNECTIONS;

/**
 * The share of a run's requests that may be backlogged before the server counts as saturated
 * (not keeping pace with the rate). A server at utilisation u that stands still for a while (a
 * collection, a preemption) drains the backlog at 1 - u of its speed, so the requests backlogged
 * span the stall / (1 - u): at half load twice the stall, and at saturation (u >= 1) the backlog
 * never drains and nearly every request is backlogged (session 10's quiet run: every request
 * waited for a connection). At 10 % a half-loaded server would have stood still for 5 % of the
 * run in stalls of 32 requests' worth or longer, past the collector's pauses of a quiet machine.
 * A lower bar (1 %, the p99's share) would reject rounds for flagroute's own pauses, which the
 * p99 is there to show, and would lower the search's maximum until they no longer backlog.
 */
export const MAX_BACKLOGGED_SHARE = 0.1;

/** The share of the measured requests that were backlogged. */
export const backloggedShare = (run: PaceEvidence): number =>
  run.measured > 0 ? run.backlogged / run.measured : 0;

/** Whether the server kept pace in `run`: at most {@link MAX_BACKLOGGED_SHARE} backlogged. */
export const keptPace = (run: PaceEvidence): boolean =>
  backloggedShare(run) <= MAX_BACKLOGGED_SHARE;

/** Whether `run` counts: the client on schedule and the server keeping pace. */
export const validPacedRun = (run: PaceEvidence): boolean => run.onSchedule && keptPace(run);

/** One probe of the search: a rate and whether the server kept pace at it. */
export interface RateProbe {
  rate: number;
  kept: boolean;
}

/** The outcome of {@link highestRateKept}. */
export interface SustainedRate {
  /** The highest rate probed at which the server kept pace, or 0 if none. */
  rate: number;
  /** Every probe, in the order run. */
  probes: RateProbe[];
}

/**
 * The highest rate in (0, `ceiling`) at which `keeps(rate)` holds, to `ceiling / 2^steps`, by
 * bisection (`keeps` runs the paced client at the rate and judges it with
 * {@link validPacedRun}). The ceiling is taken as not kept and never probed: it is the server's
 * maximum with autocannon on a core of its own, which a server beside the paced client does not
 * reach. Kept is assumed to hold below a kept rate (one probe each step; a noisy probe only
 * costs resolution, and every probe is reported).
 */
export async function highestRateKept(
  keeps: (rate: number) => Promise<boolean>,
  ceiling: number,
  steps: number,
): Promise<SustainedRate> {
  let low = 0;
  let high = ceiling;
  const probes: RateProbe[] = [];
  for (let step = 0; step < steps; step += 1) {
    const rate = Math.round((low + high) / 2);
    if (rate <= low || rate >= high) break;
    const kept = await keeps(rate);
    probes.push({ rate, kept });
    if (kept) low = rate;
    else high = rate;
  }
  return { rate: low, probes };
}
