import { describe, expect, it } from 'vitest';
import { scaledClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load-config.js';
import { DecisionRates } from '../../src/dashboard/decision-rates.js';
import { fleetPanel } from '../../src/dashboard/fleet-panel.js';
import { guardrailRow, planPanel } from '../../src/dashboard/plan-panel.js';
import { clockView, foldHistory, momentOf } from '../../src/dashboard/view-text.js';
import { pendingState, planStatusOf } from '../../src/rollout-plan/index.js';
import type { FleetInstance, FleetStatus } from '../../src/runtime-store/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { FakeClock } from '../helpers/fake-clock.js';

const AT = Date.UTC(2026, 0, 1, 9, 2, 54);

describe('the view model built on the server', () => {
  it("one clock: UTC HH:MM:SS, the demo's accelerated clock marked simulated", () => {
    expect(momentOf(AT)).toEqual({ iso: '2026-01-01T09:02:54.000Z', text: '09:02:54' });
    expect(clockView(new FakeClock())).toEqual({ kind: 'wall', label: 'UTC' });
    expect(clockView(scaledClock(360, AT))).toEqual({
      kind: 'simulated',
      label: 'simulated plan time (UTC), 360× real time',
    });
  });

  it('folds runs of the same line into one, with its count and since when', () => {
    const entries = [
      { at: AT + 3000, text: 'hold: stage 1 needs 25 units' },
      { at: AT + 2000, text: 'hold: stage 1 needs 25 units' },
      { at: AT + 1000, text: 'hold: stage 1 needs 25 units' },
      { at: AT, text: 'start: demo' },
      { at: AT - 1000, text: 'hold: stage 1 needs 25 units' },
    ];
    const lines = foldHistory(entries, 30);
    expect(lines.map(({ text, count }) => [text, count])).toEqual([
      ['hold: stage 1 needs 25 units', 3],
      ['start: demo', 1],
      ['hold: stage 1 needs 25 units', 1],
    ]);
    expect(lines[0]!.at.text).toBe('09:02:57');
    expect(lines[0]!.since?.text).toBe('09:02:55');
    expect(foldHistory(entries, 2)).toHaveLength(2);
  });

  it('a guardrail row has its value, threshold, margin, interval and action in words', () => {
    const regression = guardrailRow({
      name: 'regression:quality_score',
      value: -0.0123,
      threshold: 'LightRAG not significantly lower per user',
      ok: true,
      action: 'roll_back',
      for: 2,
      interval: [-0.05, 0.021],
      margin: 0.04,
      note: 'difference -0.0123 over 40 and 41 users',
    });
    expect(regression).toMatchObject({
      label: 'no regression in quality score',
      value: { field: 'value', value: -0.0123, text: '-0.012' },
      margin: '0.040 worse tolerated',
      interval: '[-0.050, 0.021]',
      action: 'roll back to 0 % after 2 failing looks',
      state: 'ok',
    });
    const errorRate = guardrailRow({
      name: 'error_rate',
      value: 0.07,
      threshold: 0.05,
      ok: false,
      action: 'pause',
      for: 1,
    });
    expect(errorRate).toMatchObject({
      threshold: 'at most 5.00 %',
      margin: '2.00 pp over',
      interval: '–',
      action: 'pause the plan after 1 failing look',
      state: 'failed',
      stateText: 'FAILED',
    });
    expect(guardrailRow({ name: 'min_quality', value: 0.8, threshold: 0.6, ok: true }).margin).toBe(
      '0.200 to spare',
    );
    // A difference of success rates is in percentage points, the rate itself in per cent.
    const success = guardrailRow({
      name: 'regression:success_rate',
      value: -0.015,
      threshold: 'LightRAG not significantly lower per user',
      ok: true,
      interval: [-0.031, 0.001],
      margin: 0.02,
    });
    expect(success).toMatchObject({
      value: { text: '-1.50 pp' },
      margin: '2.00 pp worse tolerated',
      interval: '[-3.10 pp, 0.10 pp]',
    });
  });

  it('the plan panel names a shadow stage: its share, no user on LightRAG, its pairs of min_pairs, paired guardrails', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml':
        'rollout_plan:\n  stages:\n    - { shadow: true, percentage: 40, hold: 1h, min_pairs: 300 }\n    - { percentage: 5, hold: 1h }\n',
    });
    const config = await loadConfig({ configDir: temp.dir, environment: 'development', env: {} });
    const state = {
      ...pendingState('development'),
      phase: 'running' as const,
      stage: 0,
      stageStartedAt: AT,
      lastLook: {
        at: new Date(AT).toISOString(),
        units: { treatment: 0, baseline: 0 },
        pairs: { pairs: 120, users: 45 },
        guardrails: [
          {
            name: 'paired:quality_score',
            value: 0.03,
            threshold: "LightRAG's shadow answers not significantly lower",
            ok: true,
          },
        ],
      },
    };
    const status = planStatusOf(config, state, AT + 60_000, 'router', null);
    expect(status.pairs).toEqual({ pairs: 120, users: 45, needed: 300 });
    expect(status.units).toBeNull();
    const panel = planPanel(status)!;
    expect(panel.stages[0]).toMatchObject({
      percentage: 'shadow 40 %',
      detail: 'no user on LightRAG, hold 1h, 300 pairs',
      state: 'current',
    });
    expect(panel.stages[1]).toMatchObject({ percentage: '5 %', detail: 'hold 1h' });
    expect(panel.progress).toEqual([
      { arm: 'pairs', text: 'pairs: 120 of 300 from 45 users at this shadow stage', percent: 40 },
    ]);
    expect(panel.guardrails[0]!.label).toBe(
      'no regression in quality score (shadow, on the same queries)',
    );
  });

  it('the fleet: skew highlighted per instance, and who applied the kill switch', () => {
    const instance = (id: string, overrides: Partial<FleetInstance>): FleetInstance => ({
      id,
      host: 'web',
      pid: Number(id),
      flagrouteVersion: '0.1.0',
      listen: `http://10.0.0.${id}:8016`,
      configVersion: 'abc',
      runtimeVersion: '5',
      runtimeAppliedAt: null,
      startedAt: new Date(AT).toISOString(),
      lastSeen: new Date(AT).toISOString(),
      secondsSinceSeen: 1.24,
      state: 'live',
      ...overrides,
    });
    const status: FleetStatus = {
      environment: 'staging',
      store: 'PostgreSQL database "app" on db:5432 as "app"',
      runtimeVersion: '5',
      staleAfterMs: 15_000,
      instances: [
        instance('1', {}),
        instance('2', { configVersion: 'def', runtimeVersion: '4' }),
        instance('3', {}),
        instance('4', { state: 'stale', configVersion: 'old', runtimeVersion: '1' }),
      ],
      skew: ['2 configuration versions among live instances: abc on 2, def on 1'],
    };
    const panel = fleetPanel(status, 'pager: error budget');
    expect(panel.instances.map((row) => [row.id, row.skew, row.killSwitchApplied])).toEqual([
      ['1', { config: false, runtime: false, flagroute: false }, true],
      ['2', { config: true, runtime: true, flagroute: false }, false],
      ['3', { config: false, runtime: false, flagroute: false }, true],
      ['4', { config: false, runtime: false, flagroute: false }, null],
    ]);
    expect(panel.killSwitch).toBe(
      'kill switch (pager: error budget) applied by 2 of 3 live instances (runtime version 5); not yet: web pid 2 (http://10.0.0.2:8016)',
    );
    expect(panel.instances[0]!.lastSeen).toBe('1.2 s ago');
    expect(fleetPanel(status, null).killSwitch).toBe('no kill switch engaged');
  });

  it('decisions per second of real time, on the wall clock and on an accelerated one', () => {
    const wall = new FakeClock();
    const rates = new DecisionRates(wall);
    expect(rates.read({ lightrag: 10 })).toBeNull();
    wall.advance(2000);
    expect(rates.read({ lightrag: 30, perplexity: 4 })).toEqual({ lightrag: 10, perplexity: 2 });
    wall.advance(100); // too soon to say anything new
    expect(rates.read({ lightrag: 1000 })).toEqual({ lightrag: 10, perplexity: 2 });
    const plan = Object.assign(new FakeClock(), { speed: 360 });
    const accelerated = new DecisionRates(plan);
    accelerated.read({ lightrag: 0 });
    plan.advance(360_000); // six minutes of plan time: a second of real time
    expect(accelerated.read({ lightrag: 60 })).toEqual({ lightrag: 60 });
  });
});
