import { open, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INCOMPLETE_LINE_MS, ReadSession } from '../../src/config/read-session.js';
import type { Router } from '../../src/router/router.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { testRouter } from '../helpers/test-router.js';

const ENV = 'environments/production.yaml';
const GEO = 'rules/geography.yaml';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes a file in two chunks with a pause between, as a slow writer or `kubectl cp` can: the
 * first chunk ends just before `marker`.
 */
async function writeSlowly(path: string, content: string, marker: string, pauseMs: number) {
  const split = content.indexOf(marker);
  const handle = await open(path, 'w');
  await handle.write(content.slice(0, split));
  await pause(pauseMs);
  await handle.write(content.slice(split));
  await handle.close();
}

function envFile(rollout: string, extra = ''): string {
  return `rollout_percentage: ${rollout}\nenable_ab_testing: false\nrule_files: [rules/geography.yaml]\nrollback_triggers: {enabled: false}\n${extra}`;
}
const geoFile = (percentage: string, extra = '') =>
  `geographic_routing:\n  eu: {rollout_percentage: ${percentage}}\n${extra}`;

async function start() {
  const temp = await tempConfigDir({ [ENV]: envFile('10.25'), [GEO]: geoFile('20.5') });
  const router = await testRouter({
    configDir: temp.dir,
    environment: 'production',
    env: {},
    cwd: temp.dir,
    logger: silentLogger(),
  });
  return { dir: temp.dir, router };
}

describe('reloads serve only files that are complete on disk', () => {
  it('a read session notices a file that changed after it was read', async () => {
    const temp = await tempConfigDir({ 'a.yaml': 'a: 1\n' });
    const session = new ReadSession();
    await session.read(join(temp.dir, 'a.yaml'));
    expect(await session.settle(0)).toBe(true);
    await writeFile(join(temp.dir, 'a.yaml'), 'a: 2\n');
    expect(await session.settle(0)).toBe(false);
  });

  it('an edit of one file followed by a slow two-chunk write of another never serves the half-written one', async () => {
    const { dir, router } = await start();
    const seen: number[] = [];
    router.on('reload', () => seen.push(router.settings.rollout_percentage));
    await writeFile(join(dir, GEO), geoFile('30.5'));
    await pause(60);
    await writeSlowly(join(dir, ENV), envFile('67.5'), '7.5', 15);
    // The env file is now `rollout_percentage: 67.5` (its prefix read alone would say 6).
    await waitFor(router, () => router.settings.rollout_percentage === 67.5);
    expect(seen).not.toContain(6);
    expect(seen.every((value) => value === 10.25 || value === 67.5)).toBe(true);
  });
});

describe('a writer that pauses mid-line', () => {
  /** A session that read `text` (no final line break) and a clock 120 ms past its mtime. */
  async function readHalfWritten(text: string) {
    const temp = await tempConfigDir({});
    const path = join(temp.dir, 'production.yaml');
    const handle = await open(path, 'w');
    await handle.write(text);
    const session = new ReadSession();
    await session.read(path);
    const { mtimeMs } = await stat(path);
    const clock = { now: mtimeMs + 120, slept: 0 };
    return { handle, session, clock, mtimeMs };
  }

  it('is re-checked, not served, while it pauses 120 ms (past the 40 ms window), by an injected clock', async () => {
    const { handle, session, clock, mtimeMs } = await readHalfWritten('rollout_percentage: 6');
    let resumed = false;
    const sleep = async (ms: number) => {
      clock.now += ms;
      // The writer resumes 300 ms after its first chunk and finishes the line: 67.5.
      if (!resumed && clock.now >= mtimeMs + 300) {
        await handle.write('7.5\n');
        resumed = true;
      }
    };
    const settled = await session.settle({ stabilityMs: 40, now: () => clock.now, sleep });
    await handle.close();
    expect(resumed).toBe(true);
    expect(settled).toBe(false); // the load is done again, and reads 67.5
  });

  it('is served as it is once still for the stated second: a file saved without a final line break', async () => {
    const { handle, session, clock } = await readHalfWritten('rollout_percentage: 6');
    await handle.close();
    const sleep = async (ms: number) => {
      clock.now += ms;
      clock.slept += ms;
    };
    expect(await session.settle({ stabilityMs: 40, now: () => clock.now, sleep })).toBe(true);
    expect(clock.slept).toBe(INCOMPLETE_LINE_MS - 120);
  });

  it('a router never serves a file whose writer paused 120 ms mid-line', async () => {
    const { dir, router } = await start();
    const seen: number[] = [];
    router.on('reload', () => seen.push(router.settings.rollout_percentage));
    // In place, in two chunks: `rollout_percentage: 6`, a 120 ms pause, then `7.5` and the rest.
    await writeSlowly(join(dir, ENV), envFile('67.5'), '7.5', 120);
    await waitFor(router, () => router.settings.rollout_percentage === 67.5);
    expect(seen).toEqual([67.5]);
  });
});

async function waitFor(router: Router, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  if (done()) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('condition not reached')), timeoutMs);
    const check = () => {
      if (!done()) return;
      clearTimeout(timer);
      router.off('reload', check);
      resolve();
    };
    router.on('reload', check);
  });
}

/** A small deterministic generator, so that a failing soak can be replayed. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('soak: interleaved valid, invalid and slow edits while deciding', () => {
  // Bounded: 60 s in CI, 8 s on a developer's machine.
  const durationMs = process.env.CI === 'true' ? 60_000 : 8_000;

  it('serves only complete, valid content and never throws', async () => {
    const { dir, router } = await start();
    const random = lcg(20_261_126);
    let stop = false;
    let edits = 0;
    const writer = (async () => {
      while (!stop) {
        const choice = random();
        // Valid env values end in .25 and region values in .5, and never use 77 or 99: a
        // prefix of a slow write reads as a whole number, invalid content carries 77 or 99.
        const whole = 10 + Math.floor(random() * 60);
        if (choice < 0.3) {
          const path = join(dir, ENV);
          await writeFile(`${path}.tmp`, envFile(`${whole}.25`));
          await rename(`${path}.tmp`, path);
        } else if (choice < 0.5) {
          await writeSlowly(join(dir, ENV), envFile(`${whole}.25`), '.25', 15);
        } else if (choice < 0.6) {
          await writeFile(join(dir, ENV), envFile('77.25', 'bogus_key: 1\n'));
        } else if (choice < 0.8) {
          await writeSlowly(join(dir, GEO), geoFile(`${whole}.5`), '.5}', 15);
        } else {
          await writeFile(join(dir, GEO), geoFile('99.5', '  bad: {rollout_percentage: 101}\n'));
        }
        edits += 1;
        await pause(10 + random() * 60);
      }
    })();
    let decisions = 0;
    const wrong: number[] = [];
    const started = Date.now();
    while (Date.now() - started < durationMs) {
      for (let index = 0; index < 200; index += 1) {
        const region = index % 2 === 0 ? 'eu' : undefined;
        const decision = await router.decide({ userId: `u${index}`, region });
        decisions += 1;
        const value = decision.rolloutPercentage;
        const fraction = value - Math.floor(value);
        const expected = region === 'eu' ? 0.5 : 0.25;
        if (fraction !== expected || Math.floor(value) === 77 || Math.floor(value) === 99) {
          wrong.push(value);
        }
        if (decision.reason === 'evaluation_error') wrong.push(-1);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    stop = true;
    await writer;
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(edits).toBeGreaterThan(20);
    expect(decisions).toBeGreaterThan(10_000);
  }, 120_000);
});
