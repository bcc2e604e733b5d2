import { describe, expect, it } from 'vitest';
import {
  type Acknowledgements,
  acknowledgementsView,
  describeAcknowledgements,
  describeFleet,
  type FleetInstance,
  fleetSkew,
} from '../../src/runtime-store/index.js';

function instance(overrides: Partial<FleetInstance>): FleetInstance {
  return {
    id: 'web-1:42:0a0b0c0d',
    host: 'web-1',
    pid: 42,
    flagrouteVersion: '0.1.0',
    listen: 'http://10.0.0.7:8016',
    configVersion: 'c1',
    runtimeVersion: '5',
    runtimeAppliedAt: '2026-12-06T10:00:00.000Z',
    startedAt: '2026-12-06T09:00:00.000Z',
    lastSeen: '2026-12-06T10:00:01.000Z',
    secondsSinceSeen: 0.84,
    state: 'live',
    ...overrides,
  };
}

describe('fleet skew', () => {
  it('is empty when every live instance serves the same versions, whatever stale ones do', () => {
    const instances = [
      instance({}),
      instance({ host: 'web-2' }),
      instance({ host: 'web-3', configVersion: 'old', runtimeVersion: '1', state: 'stale' }),
    ];
    expect(fleetSkew(instances, '5')).toEqual([]);
  });

  it('names configuration and flagroute versions that differ, and instances behind the store', () => {
    const instances = [
      instance({}),
      instance({ host: 'web-2', configVersion: 'c2', flagrouteVersion: '0.2.0' }),
      instance({ host: 'web-3', runtimeVersion: '4', listen: null }),
      instance({ host: 'web-4', runtimeVersion: null }),
    ];
    expect(fleetSkew(instances, '5')).toEqual([
      '2 configuration versions among live instances: c1 on 3, c2 on 1',
      '2 flagroute versions among live instances: 0.1.0 on 3, 0.2.0 on 1',
      '2 live instances have not applied runtime version 5: web-3 pid 42 at 4, web-4 pid 42 (http://10.0.0.7:8016) at none',
    ]);
  });

  it('compares runtime versions as numbers, not text', () => {
    expect(fleetSkew([instance({ runtimeVersion: '10' })], '9')).toEqual([]);
  });
});

describe('acknowledgements', () => {
  const acks = (live: FleetInstance[], missing: FleetInstance[]): Acknowledgements => ({
    version: '5',
    live,
    acknowledged: live.filter((each) => !missing.includes(each)),
    missing,
    waitedMs: 2_004,
    deadlineMs: 2_000,
  });

  it('says n of m, and each missing instance with what it applied and when it was seen', () => {
    const lagging = instance({ host: 'web-3', pid: 7, runtimeVersion: '4' });
    const line = describeAcknowledgements(acks([instance({}), lagging], [lagging]));
    expect(line).toBe(
      'runtime version 5 acknowledged by 1 of 2 live instances within 2 s; missing: web-3 pid 7 (http://10.0.0.7:8016) (applied runtime version 4, last seen 0.8 s ago)',
    );
    expect(acknowledgementsView(acks([instance({}), lagging], [lagging]))).toMatchObject({
      live: 2,
      acknowledged: 1,
      complete: false,
      missing: [{ host: 'web-3', pid: 7, runtimeVersion: '4' }],
    });
  });

  it('says when nobody is live, and that is not complete', () => {
    expect(describeAcknowledgements(acks([], []))).toMatch(
      /acknowledged by 0 of 0 live instances: no instance has a heartbeat on this store/,
    );
    expect(acknowledgementsView(acks([], [])).complete).toBe(false);
  });

  it('says how long it took when all acknowledged', () => {
    expect(describeAcknowledgements({ ...acks([instance({})], []), waitedMs: 37 })).toBe(
      'runtime version 5 acknowledged by 1 of 1 live instance in 0.04 s',
    );
  });
});

describe('describeFleet', () => {
  it('counts each state and lists every instance', () => {
    const lines = describeFleet({
      environment: 'production',
      store: 'PostgreSQL database "flagroute" on db:5432 as "app"',
      runtimeVersion: '5',
      staleAfterMs: 15_000,
      instances: [instance({}), instance({ host: 'web-9', state: 'stale', secondsSinceSeen: 40 })],
      skew: [],
    });
    expect(lines[0]).toBe(
      'fleet of production on PostgreSQL database "flagroute" on db:5432 as "app": runtime version 5',
    );
    expect(lines[1]).toBe(
      '1 live, 1 stale (no heartbeat for 15 s), 0 stopped in the last 10 minutes',
    );
    expect(lines[2]).toMatch(
      /^ {2}live {4}web-1 pid 42 \(http:\/\/10\.0\.0\.7:8016\): config c1, runtime version 5/,
    );
    expect(lines[3]).toMatch(/^ {2}stale {3}web-9 pid 42/);
    expect(lines.at(-1)).toBe('skew: none (every live instance serves the same versions)');
  });
});
