import { describe, expect, it } from 'vitest';
import {
  type BreakerSettings,
  type BreakerTransition,
  CircuitBreaker,
} from '../../src/safety/circuit-breaker.js';
import { FakeClock } from '../helpers/fake-clock.js';

const BASE: BreakerSettings = {
  enable_circuit_breaker: true,
  circuit_breaker_threshold: 3,
  circuit_breaker_recovery_timeout: 60,
  circuit_breaker_half_open_trials: 2,
  circuit_breaker_mode: 'consecutive',
  circuit_breaker_rate: {
    failure_rate: 0.5,
    window_size: 10,
    minimum_calls: 4,
    slow_call_is_failure: false,
  },
  slow_call_seconds: 10,
};

function breaker(overrides: Partial<BreakerSettings> = {}) {
  const clock = new FakeClock();
  const transitions: BreakerTransition[] = [];
  const instance = new CircuitBreaker({ ...BASE, ...overrides }, clock, (t) => transitions.push(t));
  return { clock, transitions, breaker: instance };
}

describe('CircuitBreaker, consecutive mode', () => {
  it('opens on the threshold-th consecutive failure, not before', () => {
    const { breaker: b, transitions } = breaker();
    b.recordFailure();
    b.recordFailure();
    expect(b.state()).toBe('closed');
    b.recordFailure();
    expect(b.state()).toBe('open');
    expect(transitions.map(({ from, to }) => `${from}->${to}`)).toEqual(['closed->open']);
    expect(transitions[0]?.reason).toBe('3 consecutive failures (threshold 3)');
  });

  it('never trips a flapping backend: a success resets the count', () => {
    const { breaker: b } = breaker();
    for (let round = 0; round < 100; round += 1) {
      b.recordFailure();
      b.recordFailure();
      b.recordSuccess(0.1);
    }
    expect(b.state()).toBe('closed');
    expect(b.snapshot()).toMatchObject({ is_open: false, failure_count: 0, total_requests: 300 });
  });

  it('half-opens after the recovery timeout and admits the configured number of trials', () => {
    const { breaker: b, clock, transitions } = breaker();
    for (let index = 0; index < 3; index += 1) b.recordFailure();
    clock.advance(59_999);
    expect(b.acquire()).toBe(false);
    clock.advance(1);
    expect(b.state()).toBe('half_open');
    expect(b.acquire()).toBe(true);
    expect(b.acquire()).toBe(true);
    expect(b.acquire()).toBe(false);
    b.recordSuccess(0.2);
    expect(b.state()).toBe('closed');
    expect(transitions.map(({ to }) => to)).toEqual(['open', 'half_open', 'closed']);
  });

  it('re-opens on a failed trial and restarts the timer', () => {
    const { breaker: b, clock } = breaker();
    for (let index = 0; index < 3; index += 1) b.recordFailure();
    clock.advance(60_000);
    expect(b.acquire()).toBe(true);
    clock.advance(30_000);
    b.recordFailure();
    expect(b.state()).toBe('open');
    clock.advance(59_999);
    expect(b.state()).toBe('open');
    clock.advance(1);
    expect(b.state()).toBe('half_open');
  });

  it('hands out trial slots again when trial outcomes never come back', () => {
    const { breaker: b, clock } = breaker({ circuit_breaker_half_open_trials: 1 });
    for (let index = 0; index < 3; index += 1) b.recordFailure();
    clock.advance(60_000);
    expect(b.acquire()).toBe(true);
    expect(b.acquire()).toBe(false);
    clock.advance(60_000);
    expect(b.acquire()).toBe(true);
  });

  it('closes and clears on reset', () => {
    const { breaker: b, transitions } = breaker();
    for (let index = 0; index < 3; index += 1) b.recordFailure();
    b.reset();
    expect(b.state()).toBe('closed');
    expect(transitions.at(-1)).toMatchObject({
      from: 'open',
      to: 'closed',
      reason: 'reset by operator',
    });
  });
});

describe('CircuitBreaker, rate mode', () => {
  const rate = { circuit_breaker_mode: 'rate' as const };

  it('waits for the minimum number of calls', () => {
    const { breaker: b } = breaker(rate);
    b.recordFailure();
    b.recordFailure();
    b.recordFailure();
    expect(b.state()).toBe('closed');
    b.recordFailure();
    expect(b.state()).toBe('open');
  });

  it('opens when the failure share of the window exceeds the rate, not at it', () => {
    const { breaker: b } = breaker(rate);
    for (const ok of [true, false, true, false]) {
      if (ok) b.recordSuccess(0.1);
      else b.recordFailure();
    }
    expect(b.state()).toBe('closed'); // 2 of 4 = 0.5, not above 0.5
    b.recordFailure();
    expect(b.state()).toBe('open'); // 3 of 5
  });

  it('slides: old failures leave the window', () => {
    const { breaker: b } = breaker({
      ...rate,
      circuit_breaker_rate: { ...BASE.circuit_breaker_rate, window_size: 4 },
    });
    b.recordFailure();
    b.recordFailure();
    for (let index = 0; index < 4; index += 1) b.recordSuccess(0.1);
    b.recordFailure();
    b.recordFailure();
    expect(b.state()).toBe('closed'); // window: s s f f = 0.5
    expect(b.snapshot().failure_count).toBe(2);
  });

  it('counts a slow call as a failure when configured', () => {
    const { breaker: b } = breaker({
      ...rate,
      circuit_breaker_rate: { ...BASE.circuit_breaker_rate, slow_call_is_failure: true },
    });
    for (let index = 0; index < 4; index += 1) b.recordSuccess(10.5);
    expect(b.state()).toBe('open');
    const { breaker: tolerant } = breaker(rate);
    for (let index = 0; index < 4; index += 1) tolerant.recordSuccess(10.5);
    expect(tolerant.state()).toBe('closed');
  });
});
