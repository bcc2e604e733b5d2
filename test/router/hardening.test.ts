import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/issues.js';
import { createRouter } from '../../src/router/create-router.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { nextEvent } from '../helpers/events.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { runCli } from '../helpers/run-cli.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { routerIn, testRouter } from '../helpers/test-router.js';

const ENV = 'environments/production.yaml';

async function routerOn(
  body: string,
  options: { env?: Record<string, string>; watch?: boolean; clock?: FakeClock } = {},
) {
  const { router, dir } = await routerIn(
    { [ENV]: body },
    {
      environment: 'production',
      env: options.env ?? {},
      watch: options.watch ?? false,
      ...(options.clock ? { clock: options.clock } : {}),
    },
  );
  return { router, dir };
}

describe('the kill switch beats a LIGHTRAG_ROLLOUT_PERCENTAGE variable', () => {
  const variable = { LIGHTRAG_ROLLOUT_PERCENTAGE: '30' };

  it('an emergency rollback reaches every router, the variable notwithstanding', async () => {
    const { router, dir } = await routerOn('rollout_percentage: 10\n', {
      env: variable,
      watch: true,
    });
    const other = await testRouter({
      configDir: dir,
      environment: 'production',
      env: variable,
      cwd: dir,
      logger: silentLogger(),
    });
    expect(other.settings.rollout_percentage).toBe(30);
    const followed = nextEvent(other, 'reload');
    await router.updateRolloutPercentage(0, { persist: true, reason: 'error spike' });
    await followed;
    for (const each of [router, other]) {
      expect(each.settings.rollout_percentage).toBe(0);
      expect(each.status().rolloutOrigin).toMatch(/^kill switch \(.*production\.yaml:\d+\)$/);
      expect(each.status().rollback).toMatchObject({ reason: 'error spike', persisted: true });
      expect((await each.decide({ userId: 'x', region: 'us_east' })).rolloutPercentage).toBe(0);
    }
    expect(other.status().rolloutLayers.variable).toEqual({
      value: 30,
      variable: 'LIGHTRAG_ROLLOUT_PERCENTAGE',
    });
    const resumed = nextEvent(other, 'reload');
    await router.resumeRollout({ reason: 'fixed' });
    await resumed;
    expect(other.settings.rollout_percentage).toBe(30);
    expect(router.settings.rollout_percentage).toBe(30);
  });

  it('a persisted raise takes effect above the variable (the runtime layer), the file value stays', async () => {
    const { router, dir } = await routerOn('rollout_percentage: 10\n', { env: variable });
    await router.updateRolloutPercentage(40, { persist: true, reason: 'week 2' });
    expect(router.settings.rollout_percentage).toBe(40);
    expect(router.status()).toMatchObject({
      rolloutOrigin: expect.stringMatching(/^runtime \(set by an operator at .*: week 2\)$/),
      rolloutLayers: {
        file: { value: 10 },
        variable: { value: 30, variable: 'LIGHTRAG_ROLLOUT_PERCENTAGE' },
        runtime: { percentage: 40, setBy: 'operator', reason: 'week 2' },
      },
    });
    const text = await readFile(join(dir, ENV), 'utf8');
    expect(text).toMatch(/^rollout_percentage: 10\nruntime:\n {2}rollout_percentage: 40\n/);
  });

  it('the CLI: rollback takes effect, rollout set under the variable takes effect, status shows why, clear and resume restore', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
    const run = (args: string[]) =>
      runCli([...args, '--env', 'production'], { cwd: temp.dir, env: variable });
    const rollback = await run(['rollback', '--reason', 'error spike']);
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toBe(
      `${ENV}: kill switch set (error spike), 30 % -> 0 % in every region; the file's rollout_percentage stays 10, LIGHTRAG_ROLLOUT_PERCENTAGE=30 too: "flagroute rollout resume" returns to 30 %\n`,
    );
    const status = JSON.parse((await run(['status', '--json'])).stdout);
    expect(status).toMatchObject({
      rolloutPercentage: 0,
      origin: expect.stringMatching(/^kill switch \(environments\/production\.yaml:2\)$/),
      layers: { variable: { value: 30 }, killSwitch: { engaged: true, reason: 'error spike' } },
    });
    // A person's rollout set is an explicit action: it lifts the kill switch and, as the
    // runtime layer, stands above the variable.
    const set = await run(['rollout', 'set', '40', '--reason', 'fixed']);
    expect(set.code).toBe(0);
    expect(set.stdout).toBe(
      `${ENV}: rollout 0 % -> 40 % (runtime layer, set by an operator: fixed); kill switch lifted; the file's rollout_percentage stays 10, LIGHTRAG_ROLLOUT_PERCENTAGE=30 too\n`,
    );
    const text = (await run(['status'])).stdout;
    expect(text).toMatch(
      /^rollout: 40 % \[runtime \(set by an operator at environments\/production\.yaml:\d+: fixed\)\]$/m,
    );
    expect(text).toMatch(/^ {2}variable: 30 % \[LIGHTRAG_ROLLOUT_PERCENTAGE\]$/m);
    expect(text).toMatch(
      /^ {2}runtime: 40 % \[set by operator at environments\/production\.yaml:\d+: fixed\]$/m,
    );
    const again = await run(['rollback', '--reason', 'error spike']);
    expect(again.stdout).toContain('40 % -> 0 % in every region');
    const resume = await run(['rollout', 'resume']);
    expect(resume.stdout).toBe(
      `${ENV}: kill switch lifted (rollout resumed): rollout 0 % -> 40 % [runtime (set by an operator at ${ENV}: fixed)]\n`,
    );
    const clear = await run(['rollout', 'clear', '--reason', 'back to the variable']);
    expect(clear.stdout).toBe(
      `${ENV}: runtime layer cleared (back to the variable): rollout 40 % -> 30 % [LIGHTRAG_ROLLOUT_PERCENTAGE]\n`,
    );
    expect(JSON.parse((await run(['status', '--json'])).stdout).rolloutPercentage).toBe(30);
  });

  it('a raise under the file kill switch without persist is refused, not silently ignored', async () => {
    const { router } = await routerOn(
      'rollout_percentage: 10\nrollback: {at: 2026-01-01T00:00:00Z, reason: stop}\n',
    );
    await expect(router.updateRolloutPercentage(50)).rejects.toMatchObject({
      code: 'KILL_SWITCH_ENGAGED',
    });
    expect(router.settings.rollout_percentage).toBe(0);
  });
});

describe('a null environment file', () => {
  it.each(['~\n', 'null\n'])('%j is a file:line:col error at start and on reload', async (body) => {
    const temp = await tempConfigDir({ [ENV]: body });
    const failure = await createRouter({
      configDir: temp.dir,
      environment: 'production',
      env: {},
      cwd: temp.dir,
      watch: false,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).message).toContain(
      `${ENV}:1:1: the top level must be a mapping of keys (key: value lines), got null`,
    );

    const { router, dir } = await routerOn('rollout_percentage: 10\n', { watch: true });
    const failed = nextEvent(router, 'reloadError');
    await writeFile(join(dir, ENV), body);
    expect((await failed).errors.map((issue) => issue.code)).toEqual(['NOT_A_MAPPING']);
    expect(router.status().lastReload.ok).toBe(false);
    expect(router.settings.rollout_percentage).toBe(10);
  });
});

describe('a half-open breaker closes only on a trial outcome', () => {
  const BREAKER =
    'rollout_percentage: 100\ncircuit_breaker_threshold: 1\ncircuit_breaker_recovery_timeout: 60\ncircuit_breaker_half_open_trials: 1\nrollback_triggers: {enabled: false}\n';

  it('a stale success (tied or untied) leaves it half-open; the trial closes it', async () => {
    const clock = new FakeClock();
    const { router } = await routerOn(BREAKER, { clock });
    const before = await router.decide({ userId: 'u1' });
    expect(before).toMatchObject({ backend: 'lightrag' });
    expect(before.breakerTrial).toBeUndefined();
    router.recordOutcome(before, { success: false });
    expect(router.getPerformanceSummary().circuit_breaker.is_open).toBe(true);
    clock.advance(60_000);
    router.recordSuccess('lightrag', 0.1); // untied, no trial outstanding
    router.recordOutcome(before, { success: true }); // tied to a decision that was no trial
    expect(router.getPerformanceSummary().circuit_breaker.state).toBe('half_open');
    const trial = await router.decide({ userId: 'u2' });
    expect(trial).toMatchObject({ backend: 'lightrag', breakerTrial: expect.any(Number) });
    router.recordOutcome(before, { success: true });
    expect(router.getPerformanceSummary().circuit_breaker.state).toBe('half_open');
    router.recordOutcome(trial, { success: true });
    expect(router.getPerformanceSummary().circuit_breaker.state).toBe('closed');
  });

  it('an outcome of a trial from an earlier half-open period changes nothing', async () => {
    const clock = new FakeClock();
    const { router } = await routerOn(BREAKER, { clock });
    router.recordFailure('lightrag');
    clock.advance(60_000);
    const oldTrial = await router.decide({ userId: 'u1' });
    router.recordOutcome(oldTrial, { success: false });
    expect(router.getPerformanceSummary().circuit_breaker.state).toBe('open');
    clock.advance(60_000);
    router.recordOutcome(oldTrial, { success: true });
    expect(router.getPerformanceSummary().circuit_breaker.state).toBe('half_open');
  });
});

describe('outcomes are checked whole before anything is recorded', () => {
  it('an unknown cohort is INVALID_OUTCOME and counts nothing', async () => {
    const { router } = await routerOn('rollout_percentage: 100\n');
    expect(() =>
      router.recordOutcome(
        { backend: 'lightrag', cohort: 'bogus' as 'lightrag' },
        { success: false },
      ),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OUTCOME', field: 'decision.cohort' }));
    expect(() =>
      router.recordOutcome({ backend: 'lightrag', cohort: null }, {
        success: true,
        latency: 3,
      } as never),
    ).toThrow(/outcome\.latency is not a field of an outcome/);
    const summary = router.getPerformanceSummary();
    expect(summary.circuit_breaker.total_requests).toBe(0);
    expect(summary.performance.lightrag.error_count).toBe(0);
  });
});

describe('caches are bounded in bytes', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const retained = async (work: () => Promise<void>) => {
    gc();
    const before = process.memoryUsage().heapUsed;
    await work();
    gc();
    return process.memoryUsage().heapUsed - before;
  };

  it('400 decisions with distinct 1 MiB user ids retain under 32 MB', async () => {
    const { router } = await routerOn('rollout_percentage: 50\n');
    const grown = await retained(async () => {
      for (let index = 0; index < 400; index += 1) {
        await router.decide({ userId: `${index}:${'x'.repeat(1024 * 1024)}` });
      }
    });
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  });

  it('a memoised rule over distinct 1 MiB fact values retains under 32 MB', async () => {
    const { router } = await routerIn(
      {
        [ENV]:
          'rollout_percentage: 50\nenable_conditional_routing: true\nrule_files: [rules/r.yaml]\n',
        'rules/r.yaml':
          'routing_rules:\n  same:\n    conditions: {all: [{fact: queryType, operator: equal, value: {fact: region}}]}\n',
      },
      { environment: 'production' },
    );
    const grown = await retained(async () => {
      for (let index = 0; index < 200; index += 1) {
        await router.decide({
          userId: 'u',
          queryType: `${index}${'q'.repeat(1024 * 1024)}`,
          region: 'eu',
        });
      }
    });
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('rollout set keeps the file mode and refuses a read-only file', () => {
  it('0600 stays 0600', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
    await chmod(join(temp.dir, ENV), 0o600);
    const result = await runCli(['rollout', 'set', '20', '--env', 'production'], { cwd: temp.dir });
    expect(result.code).toBe(0);
    expect((await stat(join(temp.dir, ENV))).mode & 0o777).toBe(0o600);
  });

  it('0444 is refused with a clear message and left unchanged', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
    await chmod(join(temp.dir, ENV), 0o444);
    const result = await runCli(['rollback', '--env', 'production'], { cwd: temp.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is read-only (mode 0444); not edited');
    expect(await readFile(join(temp.dir, ENV), 'utf8')).toBe('rollout_percentage: 10\n');
    expect((await stat(join(temp.dir, ENV))).mode & 0o777).toBe(0o444);
  });

  it('hex is refused by rollout set', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
    const result = await runCli(['rollout', 'set', '0x19', '--env', 'production'], {
      cwd: temp.dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('written in decimal');
  });
});

describe('hostile contexts', () => {
  it('a throwing getter or Proxy is INVALID_CONTEXT, never the caller’s own error', async () => {
    const { router } = await routerOn('rollout_percentage: 50\n');
    const getter = Object.defineProperty({}, 'userId', {
      enumerable: true,
      get() {
        throw new Error('caller secret detail');
      },
    });
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('caller secret detail');
        },
      },
    );
    for (const context of [getter, proxy]) {
      const failure = await router.decide(context).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'INVALID_CONTEXT' });
      expect(String((failure as Error).message)).not.toContain('caller secret detail');
      expect(() => router.decideSync(context)).toThrow(
        expect.objectContaining({ code: 'INVALID_CONTEXT' }),
      );
    }
  });

  it('a field behind a getter on the prototype is checked like any other', async () => {
    const { router } = await routerOn('rollout_percentage: 50\n');
    // Not enumerable, so for-in does not list it; the decision would still read it.
    class NumericUser {
      get userId(): unknown {
        return 42;
      }
    }
    class HalfSurrogate {
      get userId(): unknown {
        return 'user-\ud800';
      }
    }
    for (const context of [new NumericUser(), new HalfSurrogate()]) {
      expect(() => router.decideSync(context as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_CONTEXT', field: 'userId' }),
      );
    }
  });

  it.each([
    ['complexity', 'queryComplexity'],
    ['query_type', 'queryType'],
    ['userID', 'userId'],
  ])('an unknown key %s suggests %s', async (key, suggestion) => {
    const { router } = await routerOn('rollout_percentage: 50\n');
    await expect(router.decide({ userId: 'a', [key]: 1 } as never)).rejects.toThrow(
      `did you mean "${suggestion}"?`,
    );
  });

  it('decide --input applies the same rule per line', async () => {
    const result = await runCli(['decide', '--env', 'production', '--input', '-'], {
      input: '{"userId":"a","complexity":3}\n{"userId":"b"}\n',
    });
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({
      line: 1,
      error: expect.stringContaining('did you mean "queryComplexity"?'),
    });
    expect(lines[1]).toMatchObject({ line: 2, backend: expect.any(String) });
    expect(result.code).toBe(1);
  });

  it('an unknown region is served, marked and warned about', async () => {
    const result = await runCli([
      'decide',
      '--env',
      'production',
      '--user',
      'a',
      '--region',
      'mars',
      '--json',
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({ regionMatched: false });
    expect(result.stderr).toContain('warning: region "mars" has no geography rule');
    expect(result.stderr).toContain('known regions: us_east, us_west, europe');
  });
});
