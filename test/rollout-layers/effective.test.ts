import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  effective,
  type KillSwitch,
  type LayerName,
  type RolloutLayers,
} from '../../src/rollout-layers/index.js';
import { REPO_DIR } from '../helpers/config-dir.js';

interface Row {
  name: string;
  file: number | null;
  variable: number | null;
  runtime: number | null;
  killSwitch: boolean;
  expect: { percentage: number; layer: LayerName; regions: Record<string, number> };
}

const cases = JSON.parse(
  readFileSync(join(REPO_DIR, 'test', 'cases', 'rollout-layers.json'), 'utf8'),
) as { regions: Record<string, number>; rows: Row[] };

const KILL_SWITCH: KillSwitch = {
  trigger: 'manual',
  reason: 'pager',
  at: '2026-01-01T00:00:00.000Z',
  previousPercentage: 30,
};

function layersOf(row: Row): RolloutLayers {
  const layers: { -readonly [K in keyof RolloutLayers]: RolloutLayers[K] } = {
    file:
      row.file === null
        ? { value: 0, origin: 'default' }
        : { value: row.file, origin: 'environments/production.yaml:3' },
    regions: Object.entries(cases.regions).map(([region, rolloutPercentage]) => ({
      region,
      rolloutPercentage,
      origin: 'rules/geography.yaml:2',
    })),
  };
  if (row.variable !== null) {
    layers.variable = { value: row.variable, variable: 'LIGHTRAG_ROLLOUT_PERCENTAGE' };
  }
  if (row.runtime !== null) {
    layers.runtime = {
      percentage: row.runtime,
      setBy: 'plan',
      reason: 'stage 1 of 5',
      at: '2026-01-01T00:00:00.000Z',
      where: 'environments/production.yaml:9',
    };
  }
  if (row.killSwitch) {
    layers.killSwitch = {
      ...KILL_SWITCH,
      where: 'environments/production.yaml:14',
      persisted: true,
    };
  }
  return layers;
}

describe('effective(layers): the rollout layers added up (test/cases/rollout-layers.json)', () => {
  it('the table holds every combination of file, variable, runtime and kill switch', () => {
    const combinations = new Set(
      cases.rows.map((row) =>
        [row.file !== null, row.variable !== null, row.runtime !== null, row.killSwitch].join(),
      ),
    );
    expect(combinations.size).toBe(16);
  });

  it.each(cases.rows)('$name', (row) => {
    const result = effective(layersOf(row));
    expect(result.percentage).toBe(row.expect.percentage);
    expect(result.layer).toBe(row.expect.layer);
    const regions = Object.fromEntries(
      Object.entries(result.regions).map(([region, share]) => [region, share.rolloutPercentage]),
    );
    expect(regions).toEqual(row.expect.regions);
    expect(result.killSwitch !== null).toBe(row.killSwitch);
    expect(result.regionCap).toBe(row.expect.layer === 'runtime' ? row.runtime : null);
  });

  it('names the layer, where it is kept and why, and each region says why', () => {
    const row = cases.rows.find((each) => each.name === 'file + variable + runtime')!;
    const result = effective(layersOf(row));
    expect(result.origin).toBe(
      'runtime (set by the plan at environments/production.yaml:9: stage 1 of 5)',
    );
    expect(result.regions.us_east).toEqual({
      rolloutPercentage: 5,
      configured: 25,
      origin: 'rules/geography.yaml:2',
      why: 'capped at the runtime 5 % (configured 25 %)',
    });
    expect(result.regions.europe!.why).toBe('its own 3 % (within the runtime 5 %)');
    const held = effective(layersOf({ ...row, killSwitch: true }));
    expect(held.origin).toBe('kill switch (environments/production.yaml:14)');
    expect(held.regions.us_east!.why).toBe('held at 0 % by the kill switch');
    const variable = effective(layersOf({ ...row, runtime: null }));
    expect(variable.origin).toBe('LIGHTRAG_ROLLOUT_PERCENTAGE');
  });

  it('under the runtime layer no region serves more than it, nor more than its own share', () => {
    for (let runtime = 0; runtime <= 100; runtime += 0.5) {
      const result = effective(
        layersOf({ ...cases.rows[0]!, file: 10, runtime, killSwitch: false }),
      );
      for (const [region, share] of Object.entries(result.regions)) {
        expect(share.rolloutPercentage).toBe(Math.min(runtime, cases.regions[region]!));
      }
    }
  });
});
