import { mkdir, open, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/config/issues.js';
import type { ReloadEvent } from '../../src/router/events.js';
import type { Router } from '../../src/router/router.js';
import type { WatchOptions } from '../../src/watch/config-watcher.js';
import { type TempConfigDir, tempConfigDir } from '../helpers/config-dir.js';
import { nextEvent } from '../helpers/events.js';
import { capturingLogger, silentLogger } from '../helpers/silent-logger.js';
import { testRouter } from '../helpers/test-router.js';

const ENV = 'environments/development.yaml';
let temp: TempConfigDir | undefined;
let router: Router | undefined;

async function start(
  files: Record<string, string>,
  watch: WatchOptions = {},
  logger = silentLogger(),
) {
  temp = await tempConfigDir(files);
  router = await testRouter({ configDir: temp.dir, env: {}, cwd: temp.dir, logger, watch });
  return { dir: temp.dir, router };
}

function rollout(value: number, extra = ''): string {
  return `rollout_percentage: ${value}\n${extra}`;
}

describe('hot reload', () => {
  it('picks up a file written in place', async () => {
    const { dir, router } = await start({ [ENV]: rollout(0) });
    const reloaded = nextEvent(router, 'reload');
    await writeFile(join(dir, ENV), rollout(100));
    const event = await reloaded;
    expect(event.changedKeys).toEqual([{ key: 'rollout_percentage', from: 0, to: 100 }]);
    expect((await router.decide({ userId: 'alice' })).backend).toBe('lightrag');
    expect(router.status()).toMatchObject({
      configVersion: event.configVersion,
      lastReload: { ok: true, errors: [] },
    });
  });

  it('warns once per file written in place, never for an atomic save (renamed over)', async () => {
    const { logger, lines } = capturingLogger();
    const { dir, router } = await start({ [ENV]: rollout(0), 'rules/r.yaml': '{}\n' }, {}, logger);
    const inPlace: string[] = [];
    router.on('writtenInPlace', ({ file }) => inPlace.push(file));
    let reloaded = nextEvent(router, 'reload');
    await writeFile(join(dir, `${ENV}.tmp`), rollout(10));
    await rename(join(dir, `${ENV}.tmp`), join(dir, ENV));
    await reloaded;
    const warned = nextEvent(router, 'writtenInPlace');
    reloaded = nextEvent(router, 'reload');
    await writeFile(join(dir, ENV), rollout(20));
    expect(await warned).toEqual({ file: ENV });
    await reloaded;
    reloaded = nextEvent(router, 'reload');
    await writeFile(join(dir, ENV), rollout(30)); // the same file again: no second warning
    await reloaded;
    expect(inPlace).toEqual([ENV]);
    expect(lines.filter((line) => line.level === 40).map((line) => line.msg)).toEqual([
      `${ENV} was written in place: a writer that pauses between lines can be read half-written; save atomically (write a temporary file, then rename it over ${ENV})`,
    ]);
  });

  it('never loads the first half of a file written in two chunks', async () => {
    // A stability window well above the writer's pause, so a loaded CI machine cannot stretch it.
    const { dir, router } = await start({ [ENV]: rollout(0) }, { stabilityMs: 150 });
    const seen: number[] = [];
    router.on('reload', () => seen.push(router.settings.rollout_percentage));
    const reloaded = nextEvent(router, 'reload');
    const handle = await open(join(dir, ENV), 'w');
    await handle.write('enable_ab_testing: false\nrollout_percentage: 1');
    await new Promise((resolve) => setTimeout(resolve, 5)); // the writer pauses between chunks
    await handle.write('00\n');
    await handle.close();
    await reloaded;
    expect(seen).toEqual([100]);
  });

  it.each([
    ['vim / VS Code', '.development.yaml.swp'],
    ['JetBrains', 'development.yaml___jb_tmp___'],
  ])(
    'picks up an atomic save (%s: temp file renamed over the original)',
    async (_editor, tempName) => {
      const { dir, router } = await start({ [ENV]: rollout(0) });
      const reloaded = nextEvent(router, 'reload');
      await writeFile(join(dir, 'environments', tempName), rollout(40));
      await rename(join(dir, 'environments', tempName), join(dir, ENV));
      expect((await reloaded).changedKeys).toEqual([
        { key: 'rollout_percentage', from: 0, to: 40 },
      ]);
    },
  );

  it('keeps serving through a delete and picks up the recreated file', async () => {
    const { dir, router } = await start({ [ENV]: rollout(100) });
    const version = router.status().configVersion;
    const failed = nextEvent(router, 'reloadError');
    await unlink(join(dir, ENV));
    const { errors } = await failed;
    expect(errors.map(formatIssue)).toEqual([
      `${ENV}:1:1: file not found: environment "development" does not exist; environments holds no environment files`,
    ]);
    expect(router.status()).toMatchObject({ configVersion: version, lastReload: { ok: false } });
    expect((await router.decide({ userId: 'alice' })).backend).toBe('lightrag');
    const reloaded = nextEvent(router, 'reload');
    await writeFile(join(dir, ENV), rollout(0));
    await reloaded;
    expect((await router.decide({ userId: 'alice' })).backend).toBe('perplexity');
    expect(router.status().lastReload.ok).toBe(true);
  });

  it('follows a Kubernetes ConfigMap update (..data symlink swap)', async () => {
    temp = await tempConfigDir({
      '..2026_01_01_00_00_00.000000001/environments/development.yaml': rollout(
        10,
        'rule_files: [rules/geo.yaml]\n',
      ),
      '..2026_01_01_00_00_00.000000001/rules/geo.yaml':
        'geographic_routing:\n  europe: { rollout_percentage: 5 }\n',
    });
    const dir = temp.dir;
    await symlink('..2026_01_01_00_00_00.000000001', join(dir, '..data'));
    await symlink('..data/environments', join(dir, 'environments'));
    await symlink('..data/rules', join(dir, 'rules'));
    router = await testRouter({ configDir: dir, env: {}, logger: silentLogger() });
    expect(router.settings.rollout_percentage).toBe(10);

    const update = async (name: string, percentage: number, region: number) => {
      await mkdir(join(dir, name, 'environments'), { recursive: true });
      await mkdir(join(dir, name, 'rules'), { recursive: true });
      await writeFile(
        join(dir, name, 'environments', 'development.yaml'),
        rollout(percentage, 'rule_files: [rules/geo.yaml]\n'),
      );
      await writeFile(
        join(dir, name, 'rules', 'geo.yaml'),
        `geographic_routing:\n  europe: { rollout_percentage: ${region} }\n`,
      );
      const old = (await import('node:fs/promises')).readlink(join(dir, '..data'));
      await symlink(name, join(dir, '..data_tmp'));
      await rename(join(dir, '..data_tmp'), join(dir, '..data'));
      await rm(join(dir, await old), { recursive: true, force: true });
    };
    let reloaded = nextEvent(router, 'reload');
    await update('..2026_01_01_00_01_00.000000002', 20, 7);
    expect((await reloaded).changedKeys).toEqual([
      { key: 'rollout_percentage', from: 10, to: 20 },
      { key: 'geographic_routing.europe', from: 5, to: 7 },
    ]);
    reloaded = nextEvent(router, 'reload');
    await update('..2026_01_01_00_02_00.000000003', 30, 9);
    expect((await reloaded).changedKeys).toEqual([
      { key: 'rollout_percentage', from: 20, to: 30 },
      { key: 'geographic_routing.europe', from: 7, to: 9 },
    ]);
    expect((await router.decide({ userId: 'bob', region: 'europe' })).rolloutPercentage).toBe(9);
  });

  it('loads a new rule file once referenced, and keeps the last good config when a referenced one is removed', async () => {
    const { dir, router } = await start({
      [ENV]: rollout(100, 'enable_conditional_routing: true\n'),
    });
    expect((await router.decide({ userId: 'a', queryType: 'clinical' })).reason).toBe(
      'conditional_rule',
    );
    await temp?.write(
      'rules/types.yaml',
      'routing_rules:\n  clinical: { type: query_type, allowed_types: [clinical] }\n',
    );
    const added = nextEvent(router, 'reload');
    await writeFile(
      join(dir, ENV),
      rollout(100, 'enable_conditional_routing: true\nrule_files: [rules/types.yaml]\n'),
    );
    const keys = (await added).changedKeys.map((change) => change.key);
    expect(keys).toContain('rule_files');
    expect(keys).toContain('routing_rules.clinical');
    expect((await router.decide({ userId: 'a', queryType: 'clinical' })).reason).toBe(
      'rollout_percentage',
    );

    const failed = nextEvent(router, 'reloadError');
    await unlink(join(dir, 'rules/types.yaml'));
    expect((await failed).errors.map(formatIssue)).toEqual([
      `${ENV}:3:14: rule file "rules/types.yaml" does not exist (looked for rules/types.yaml)`,
    ]);
    expect((await router.decide({ userId: 'a', queryType: 'clinical' })).reason).toBe(
      'rollout_percentage',
    );
  });

  it('reloads once for many files changed at once, never mixing old and new', async () => {
    const ruleNames = Array.from({ length: 9 }, (_, index) => `r${index}`);
    const ruleFile = (generation: number, name: string) =>
      `routing_rules:\n  ${name}: { type: query_length, min_length: ${generation} }\n`;
    const envBody = (generation: number) =>
      rollout(
        generation,
        `rule_files: [${ruleNames.map((name) => `rules/${name}.yaml`).join(', ')}]\n`,
      );
    const files: Record<string, string> = { [ENV]: envBody(1) };
    for (const name of ruleNames) files[`rules/${name}.yaml`] = ruleFile(1, name);
    // The debounce is widened so that a loaded CI machine spreading the writes cannot split them.
    const { dir, router } = await start(files, { debounceMs: 150 });
    const events: ReloadEvent[] = [];
    router.on('reload', (event) => events.push(event));
    const reloaded = nextEvent(router, 'reload');
    await Promise.all([
      writeFile(join(dir, ENV), envBody(2)),
      ...ruleNames.map((name) => writeFile(join(dir, `rules/${name}.yaml`), ruleFile(2, name))),
    ]);
    const event = await reloaded;
    expect(event.changedKeys).toHaveLength(10);
    for (const rule of router.config.routingRules)
      expect(rule.spec).toMatchObject({ min_length: 2 });
    // A later, separate change is a second reload: the checkout above was exactly one.
    const barrier = nextEvent(router, 'reload');
    await writeFile(join(dir, ENV), envBody(3));
    await barrier;
    expect(events).toHaveLength(2);
  });

  it('works by polling for filesystems without change events', async () => {
    const { dir, router } = await start(
      { [ENV]: rollout(0) },
      { usePolling: true, pollIntervalMs: 20 },
    );
    const reloaded = nextEvent(router, 'reload');
    await writeFile(join(dir, ENV), rollout(55));
    expect((await reloaded).changedKeys).toEqual([{ key: 'rollout_percentage', from: 0, to: 55 }]);
  });

  it("keeps this process's kill switch through file edits until a person's runtime change is stored", async () => {
    const { dir, router } = await start({ [ENV]: rollout(100) });
    router.updateRolloutPercentage(0, { reason: 'incident' });
    let reloaded = nextEvent(router, 'reload');
    await writeFile(join(dir, ENV), rollout(100, 'enable_ab_testing: true\n'));
    await reloaded;
    expect(router.settings.rollout_percentage).toBe(0);
    expect(router.settings.enable_ab_testing).toBe(true);
    // The file's rollout_percentage is a layer below the kill switch: it does not lift it.
    reloaded = nextEvent(router, 'reload');
    await writeFile(join(dir, ENV), rollout(30, 'enable_ab_testing: true\n'));
    await reloaded;
    expect(router.settings.rollout_percentage).toBe(0);
    expect(router.status().rolloutOrigin).toBe('kill switch (engaged in this process: incident)');
    // A person's runtime change in the store (as "flagroute rollout set" writes it) is newer.
    reloaded = nextEvent(router, 'reload');
    const runtime =
      'runtime: {rollout_percentage: 20, set_by: operator, reason: fixed, at: 2026-01-01T00:00:00Z}\n';
    await writeFile(join(dir, ENV), rollout(30, `enable_ab_testing: true\n${runtime}`));
    await reloaded;
    expect(router.settings.rollout_percentage).toBe(20);
    expect(router.status().rollback).toBeNull();
  });

  it('logs the changed settings, masking the salt, and logs rejected reloads as file:line:col', async () => {
    const { logger, lines } = capturingLogger();
    const { dir, router } = await start(
      { [ENV]: rollout(5, 'user_hash_salt: first-secret-salt\n') },
      {},
      logger,
    );
    const reloaded = nextEvent(router, 'reload');
    await writeFile(join(dir, ENV), rollout(6, 'user_hash_salt: second-secret-salt\n'));
    await reloaded;
    const failed = nextEvent(router, 'reloadError');
    await writeFile(join(dir, ENV), rollout(600));
    await failed;
    const text = JSON.stringify(lines);
    expect(text).not.toContain('first-secret-salt');
    expect(text).not.toContain('second-secret-salt');
    const messages = lines.map((line) => String(line.msg));
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^configuration reloaded \([0-9a-f]{12} -> [0-9a-f]{12}\): rollout_percentage: 5 -> 6, user_hash_salt: "\*\*\*\*\*\* \(17 characters\)" -> "\*\*\*\*\*\* \(18 characters\)"$/,
      ),
    );
    expect(messages).toContain(
      `reload rejected: ${ENV}:1:21: rollout_percentage must be a number from 0 to 100, got 600`,
    );
  });

  it('serves only valid configurations while invalid and valid edits alternate', async () => {
    const { dir, router } = await start({ [ENV]: rollout(0) });
    const validVersions = new Set([router.status().configVersion]);
    const versionsSeen = new Set<string>();
    let decisions = 0;
    let failures = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        try {
          const decision = await router.decide({ userId: `u${decisions}` });
          versionsSeen.add(decision.configVersion);
          if (decision.reason === 'evaluation_error') failures += 1;
        } catch {
          failures += 1;
        }
        decisions += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let round = 1; round <= 4; round += 1) {
      const bad = nextEvent(router, 'reloadError');
      await writeFile(
        join(dir, ENV),
        round % 2 ? 'rollout_percentage: [' : 'rollout_percentage: 101\n',
      );
      await bad;
      const good = nextEvent(router, 'reload');
      await writeFile(join(dir, ENV), rollout(round * 10));
      validVersions.add((await good).configVersion);
    }
    running = false;
    await loop;
    expect(failures).toBe(0);
    expect(decisions).toBeGreaterThan(0);
    for (const version of versionsSeen) expect(validVersions.has(version)).toBe(true);
    expect(router.settings.rollout_percentage).toBe(40);
  });
});
