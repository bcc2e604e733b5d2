import { describe, expect, it } from 'vitest';
import { type Fault, HealthTracker } from '../../src/rollout-plan/controller-health.js';
import { capturingLogger } from '../helpers/silent-logger.js';

const AWAY: Fault = {
  reason: 'state_not_writable',
  message: 'the plan store of staging failed (no answer in time); the look is tried again',
};
const LEASE: Fault = { reason: 'lease_lost', message: 'another controller holds the lease' };

describe('HealthTracker', () => {
  it('lists and logs a fault met again before the next look once, and counts each time', () => {
    const { logger, lines } = capturingLogger();
    const tracker = new HealthTracker('staging', logger);
    const heard: Fault[] = [];
    tracker.onFault((fault) => heard.push(fault));
    tracker.beginLook();
    // A look and then five heartbeats meet the same store that is away, then a lost lease.
    for (let beat = 0; beat < 6; beat += 1) tracker.report({ ...AWAY }, 1_000 + beat);
    tracker.report(LEASE, 2_000);
    const snapshot = tracker.snapshot();
    expect(snapshot.faults).toEqual([AWAY, LEASE]);
    expect(snapshot.errors).toEqual({ state_not_writable: 6, lease_lost: 1 });
    expect(snapshot.since).toBe(new Date(1_000).toISOString());
    expect(heard).toHaveLength(7); // the Prometheus counter counts each
    expect(lines.filter((line) => line.level === 50).map((line) => line.msg)).toEqual([
      AWAY.message,
      LEASE.message,
    ]);
    // The next look's faults replace these: met again, it is listed (and logged) again.
    tracker.beginLook();
    tracker.report(AWAY, 3_000);
    expect(tracker.snapshot().faults).toEqual([AWAY]);
    expect(lines.filter((line) => line.level === 50)).toHaveLength(3);
  });
});
