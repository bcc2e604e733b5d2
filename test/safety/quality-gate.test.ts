import { describe, expect, it } from 'vitest';
import {
  type GateTransition,
  QualityGate,
  type QualityGateConfig,
} from '../../src/safety/quality-gate.js';
import { FakeClock } from '../helpers/fake-clock.js';

const CONFIG: QualityGateConfig = {
  enable_quality_metrics: true,
  min_quality_threshold: 0.7,
  quality_gate: { window_size: 5, min_samples: 3, cooldown_seconds: 120 },
};

function gate(config: QualityGateConfig = CONFIG) {
  const clock = new FakeClock();
  const transitions: GateTransition[] = [];
  return { clock, transitions, gate: new QualityGate(config, clock, (t) => transitions.push(t)) };
}

describe('QualityGate', () => {
  it('closes only with min_samples scores averaging below the threshold', () => {
    const { gate: g } = gate();
    g.record(0.1);
    g.record(0.1);
    expect(g.isOpen()).toBe(true);
    g.record(0.1);
    expect(g.isOpen()).toBe(false);
  });

  it('does not close at exactly the threshold', () => {
    const { gate: g } = gate();
    for (let index = 0; index < 5; index += 1) g.record(0.7);
    expect(g.isOpen()).toBe(true);
  });

  it('rolls its window: old good scores leave it', () => {
    const { gate: g } = gate();
    for (let index = 0; index < 5; index += 1) g.record(0.9);
    for (let index = 0; index < 4; index += 1) g.record(0.5);
    // The window now holds 0.9 and four 0.5: the earlier good scores no longer hold it open.
    expect(g.snapshot().average_quality).toBeCloseTo(0.58);
    expect(g.isOpen()).toBe(false);
  });

  it('re-opens on probation after the cool-down, with an empty window', () => {
    const { gate: g, clock, transitions } = gate();
    for (let index = 0; index < 3; index += 1) g.record(0.2);
    expect(g.isOpen()).toBe(false);
    clock.advance(119_999);
    expect(g.isOpen()).toBe(false);
    clock.advance(1);
    expect(g.isOpen()).toBe(true);
    expect(g.snapshot().samples).toBe(0);
    g.record(0.2);
    g.record(0.2);
    expect(g.isOpen()).toBe(true);
    g.record(0.2);
    expect(g.isOpen()).toBe(false);
    expect(transitions.map(({ to }) => to)).toEqual(['closed', 'open', 'closed']);
  });

  it('reports the trend: slope and EWMA', () => {
    const { gate: g } = gate({
      ...CONFIG,
      quality_gate: { ...CONFIG.quality_gate, window_size: 10 },
    });
    for (const score of [0.9, 0.85, 0.8, 0.75]) g.record(score);
    const snapshot = g.snapshot();
    expect(snapshot.slope_per_sample).toBeCloseTo(-0.05);
    expect(snapshot.ewma).toBeCloseTo(
      0.9 * 0.729 + 0.1 * 0.85 * 0.81 + 0.1 * 0.8 * 0.9 + 0.1 * 0.75,
    );
  });
});
