import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RollbackEvent } from '../../src/router/events.js';
import type { Router } from '../../src/router/router.js';
import { type TempConfigDir, tempConfigDir } from '../helpers/config-dir.js';
import { nextEvent } from '../helpers/events.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { capturingLogger, silentLogger } from '../helpers/silent-logger.js';
import { testRouter } from '../helpers/test-router.js';

const ENV = 'environments/development.yaml';
let temp: TempConfigDir | undefined;
let router: Router | undefined;

const TRIGGERS = `rollback_triggers:
  error_rate: 0.05
  min_quality: 0.6
  response_time_seconds: 10
  min_samples: 20
  window_size: 100
`;

async function start(body: string, watch = false, logger = silentLogger()) {
  temp = await tempConfigDir({ [ENV]: body });
  router = await testRouter({
    configDir: temp.dir,
    env: {},
    cwd: temp.dir,
    logger,
    clock: new FakeClock(),
    watch,
  });
  const rollbacks: RollbackEvent[] = [];
  router.on('rollback', (event) => rollbacks.push(event));
  return { router, rollbacks, dir: temp.dir };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('rollback triggers', () => {
  it('error rate: fires on the first outcome that puts it above 5 % with 20 samples, not before', async () => {
    const { router: r, rollbacks } = await start(
      `rollout_percentage: 40\ncircuit_breaker_threshold: 1000\n${TRIGGERS}`,
    );
    r.recordFailure('lightrag');
    for (let index = 0; index < 18; index += 1) r.recordSuccess('lightrag', 0.5);
    r.recordSuccess('lightrag', 0.5); // 20 samples, 1 failure: 5 %, not above
    await flush();
    expect(rollbacks).toEqual([]);
    expect(r.settings.rollout_percentage).toBe(40);
    r.recordFailure('lightrag'); // 21 samples, 2 failures: 9.5 %
    expect(r.settings.rollout_percentage).toBe(0);
    await flush();
    expect(rollbacks).toEqual([
      {
        trigger: 'error_rate',
        reason: 'candidate error rate 0.0952 over 21 calls is above 0.05',
        previousPercentage: 40,
        persisted: false,
        at: expect.any(String),
      },
    ]);
    expect(r.status().rollback?.trigger).toBe('error_rate');
    expect((await r.decide({ userId: 'peggy' })).backend).toBe('perplexity');
  });

  it('error rate: below the minimum sample count nothing fires, however bad', async () => {
    const { router: r, rollbacks } = await start(
      `rollout_percentage: 40\ncircuit_breaker_threshold: 1000\n${TRIGGERS}`,
    );
    for (let index = 0; index < 19; index += 1) r.recordFailure('lightrag');
    await flush();
    expect(rollbacks).toEqual([]);
    r.recordFailure('lightrag');
    await flush();
    expect(rollbacks.map((event) => event.trigger)).toEqual(['error_rate']);
  });

  it('quality: fires when the average of 20 scores drops below 0.6', async () => {
    const { router: r, rollbacks } = await start(`rollout_percentage: 40\n${TRIGGERS}`);
    for (let index = 0; index < 19; index += 1) r.recordSuccess('lightrag', 0.5, 0.6);
    r.recordSuccess('lightrag', 0.5, 0.6);
    await flush();
    expect(rollbacks).toEqual([]); // exactly 0.6 is not below
    r.recordSuccess('lightrag', 0.5, 0.3);
    await flush();
    expect(rollbacks.map((event) => event.trigger)).toEqual(['quality']);
  });

  it('response time: fires when the p95 of the window goes above 10 s', async () => {
    const { router: r, rollbacks } = await start(`rollout_percentage: 40\n${TRIGGERS}`);
    // 20 calls: p95 (nearest rank 19) stays fast while only one call is slow.
    for (let index = 0; index < 19; index += 1) r.recordSuccess('lightrag', 1);
    r.recordSuccess('lightrag', 30);
    await flush();
    expect(rollbacks).toEqual([]);
    r.recordSuccess('lightrag', 10); // exactly 10 s is not above
    await flush();
    expect(rollbacks).toEqual([]);
    r.recordSuccess('lightrag', 11); // 21 calls, 2 slow: the 20th ranked call is slow
    await flush();
    expect(rollbacks.map((event) => event.trigger)).toEqual(['response_time']);
  });

  it('circuit breaker: fires when the breaker opens', async () => {
    const { router: r, rollbacks } = await start(
      `rollout_percentage: 40\ncircuit_breaker_threshold: 2\n${TRIGGERS}`,
    );
    r.recordFailure('lightrag');
    await flush();
    expect(rollbacks).toEqual([]);
    r.recordFailure('lightrag');
    await flush();
    expect(rollbacks.map((event) => [event.trigger, event.reason])).toEqual([
      ['circuit_breaker', 'the circuit breaker opened'],
    ]);
  });

  it('ignores fallback outcomes and fires once per incident, re-arming when the rollout is raised', async () => {
    const { router: r, rollbacks } = await start(
      `rollout_percentage: 40\ncircuit_breaker_threshold: 1000\n${TRIGGERS}`,
    );
    for (let index = 0; index < 50; index += 1) r.recordFailure('perplexity');
    await flush();
    expect(rollbacks).toEqual([]);
    for (let index = 0; index < 25; index += 1) r.recordFailure('lightrag');
    await flush();
    expect(rollbacks).toHaveLength(1);
    await r.updateRolloutPercentage(10, { reason: 'fixed' });
    expect(r.status().rollback).toBeNull();
    for (let index = 0; index < 19; index += 1) r.recordFailure('lightrag');
    await flush();
    expect(rollbacks).toHaveLength(1); // the window started empty again
    r.recordFailure('lightrag');
    await flush();
    expect(rollbacks).toHaveLength(2);
  });

  it('logs the rollback with its reason', async () => {
    const { logger, lines } = capturingLogger();
    const { router: r } = await start(
      `rollout_percentage: 40\ncircuit_breaker_threshold: 1\n${TRIGGERS}`,
      false,
      logger,
    );
    r.recordFailure('lightrag');
    await flush();
    expect(lines.map((line) => line.msg)).toContain('rollback to 0 %: the circuit breaker opened');
  });

  it('an emergency updateRolloutPercentage(0) is recorded as a manual rollback', async () => {
    const { router: r, rollbacks } = await start('rollout_percentage: 40\n');
    await r.updateRolloutPercentage(0, { reason: 'pager at 3am' });
    expect(
      rollbacks.map((event) => [event.trigger, event.reason, event.previousPercentage]),
    ).toEqual([['manual', 'pager at 3am', 40]]);
    expect(r.getPerformanceSummary().rollout).toMatchObject({
      percentage: 0,
      rollback: { trigger: 'manual' },
    });
  });
});

const COMMENTED = `# yaml-language-server: $schema=../schemas/environment.schema.json
# Production settings, owned by the search team.
integration_enabled: true # master switch
rollout_percentage: 40 # week 3
enable_ab_testing: true

# Safety
rollback_triggers:
  persist: true # every instance follows
  min_samples: 20
circuit_breaker_threshold: 2
`;

describe('persisted rollbacks', () => {
  it('write the kill switch into the file, keeping comments and key order, and every watcher follows', async () => {
    const { router: r, rollbacks, dir } = await start(COMMENTED, true);
    const other = await testRouter({ configDir: dir, env: {}, logger: silentLogger() });
    try {
      const reloaded = nextEvent(other, 'reload');
      // The writer's own rollback event and the watcher's reload are independent: wait for both.
      const rolledBack = nextEvent(r, 'rollback');
      r.recordFailure('lightrag');
      r.recordFailure('lightrag');
      const reason = 'automatic rollback (circuit_breaker: the circuit breaker opened)';
      // The kill switch is a layer of its own: the file's rollout_percentage stays 40.
      expect((await reloaded).changedKeys).toEqual([
        {
          key: 'rollback',
          from: null,
          to: {
            at: '2026-01-01T00:00:00.000Z',
            reason,
            trigger: 'circuit_breaker',
            previous_percentage: 40,
          },
        },
      ]);
      expect(other.settings.rollout_percentage).toBe(0);
      expect(other.status().rolloutOrigin).toMatch(
        /^kill switch \(.*environments\/development\.yaml:12\)$/,
      );
      await rolledBack;
      expect(rollbacks.map((event) => [event.trigger, event.persisted])).toEqual([
        ['circuit_breaker', true],
      ]);
      const text = await readFile(join(dir, ENV), 'utf8');
      expect(text).toBe(
        `${COMMENTED}rollback:\n  at: 2026-01-01T00:00:00.000Z\n  reason: "${reason}"\n  trigger: circuit_breaker\n  previous_percentage: 40\n`,
      );
    } finally {
      await other.close();
    }
  });

  it('updateRolloutPercentage(p, {persist}) edits the file the same way and watchers reload it', async () => {
    const { router: r, dir } = await start(COMMENTED, true);
    const reloaded = nextEvent(r, 'reload');
    await r.updateRolloutPercentage(55, { persist: true, reason: 'stage 4' });
    await reloaded;
    expect(r.settings.rollout_percentage).toBe(55);
    // Persisted: the runtime layer of the store (the file), not one of this process.
    expect(r.status().rolloutLayers.runtime).toMatchObject({
      percentage: 55,
      setBy: 'operator',
      reason: 'stage 4',
      where: expect.stringMatching(/environments\/development\.yaml:\d+$/),
    });
    expect(r.status().rolloutOrigin).toMatch(/^runtime \(set by an operator at .*: stage 4\)$/);
    const text = await readFile(join(dir, ENV), 'utf8');
    expect(text).toContain(
      'runtime:\n  rollout_percentage: 55\n  set_by: operator\n  reason: stage 4\n  at: 2026-01-01T00:00:00.000Z\n',
    );
    expect(text).toContain('rollout_percentage: 40');
    expect(text).toContain('integration_enabled: true # master switch\n');
  });

  it('refuses to write into a file that is not valid, and says where', async () => {
    const { router: r, dir } = await start('rollout_percentage: 40\n');
    await writeFile(join(dir, ENV), 'rollout_percentage: 40\nrollout_percentage: 50\n');
    await expect(r.updateRolloutPercentage(10, { persist: true })).rejects.toThrow(
      /environments\/development.yaml:2:1: duplicate key/,
    );
    expect(await readFile(join(dir, ENV), 'utf8')).toBe(
      'rollout_percentage: 40\nrollout_percentage: 50\n',
    );
  });
});
