import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_PAUSES, RetryPause } from '../src/retry-pause.js';

// Pauses of hours: no timer here ever fires; the test reads the pauses chosen.
const HOUR = 3_600_000;

describe('RetryPause', () => {
  it('doubles from the first pause to the longest, and starts again after a success', () => {
    const pause = new RetryPause({ first: HOUR, max: 4 * HOUR });
    const chosen: (number | undefined)[] = [];
    for (let failure = 0; failure < 4; failure += 1) {
      chosen.push(pause.schedule(() => {}));
      pause.cancel();
    }
    pause.succeeded();
    chosen.push(pause.schedule(() => {}));
    pause.cancel();
    expect(chosen).toEqual([HOUR, 2 * HOUR, 4 * HOUR, 4 * HOUR, HOUR]);
  });

  it('keeps one retry waiting at a time, and a cancelled one waits no more', () => {
    const pause = new RetryPause({ first: HOUR, max: HOUR });
    expect(pause.waiting).toBe(false);
    expect(pause.schedule(() => {})).toBe(HOUR);
    expect(pause.waiting).toBe(true);
    expect(pause.schedule(() => {})).toBeUndefined();
    pause.cancel();
    expect(pause.waiting).toBe(false);
    // A watch stopped while a reconnect waited must be able to schedule one when started again.
    expect(pause.schedule(() => {})).toBe(HOUR);
    pause.cancel();
  });

  it('runs the retry once its pause ends', async () => {
    const pause = new RetryPause({ first: 1, max: 1 });
    await new Promise<void>((resolve) => pause.schedule(resolve));
    expect(pause.waiting).toBe(false);
  });

  it('pauses 100 ms first and 5 s at the longest by default', () => {
    expect(DEFAULT_RETRY_PAUSES).toEqual({ first: 100, max: 5_000 });
  });
});
