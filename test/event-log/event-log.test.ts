import { readdirSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  EventLog,
  type EventLogOptions,
  logFileName,
  parseLogFileName,
} from '../../src/event-log/index.js';
import { readEventFiles } from '../../src/experiment/read-events.js';
import { registerEventLogMetrics } from '../../src/observability/event-log-metrics.js';
import type { OutcomeEvent } from '../../src/outcomes/index.js';
import { waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { FaultyFiles } from '../helpers/faulty-files.js';
import { capturingLogger } from '../helpers/silent-logger.js';

const DAY = '2026-11-26';
const event = (unit: string): OutcomeEvent => ({
  time: `${DAY}T10:00:00.000Z`,
  unit,
  cohort: 'lightrag',
  backend: 'lightrag',
  success: true,
  latencyMs: 1830,
});

/** The lines of every file of the directory, parsed, by file name. */
function filesOf(dir: string): Record<string, OutcomeEvent[]> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => {
        const text = readFileSync(join(dir, name), 'utf8');
        expect(text === '' || text.endsWith('\n'), `${name} ends in a whole line`).toBe(true);
        return [
          name,
          text
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as OutcomeEvent),
        ];
      }),
  );
}

async function outcomeLog(options: Partial<EventLogOptions> = {}) {
  const { dir } = await tempConfigDir();
  const files = new FaultyFiles();
  const { logger, lines: logs } = capturingLogger();
  const log = new EventLog<OutcomeEvent>({
    dir,
    kind: 'outcome',
    instance: 'test-1',
    logger,
    files,
    retryMs: { first: 5, max: 40 },
    ...options,
  });
  return { dir, files, logs, log };
}

const settled = (log: EventLog<OutcomeEvent>) =>
  waitFor('the log to have written what waits', () => log.health().waiting === 0);

describe('the event log writer', () => {
  it('a full disk: only whole lines reach the file; logged, counted, in health and metrics; writing resumes once space is freed', async () => {
    const { dir, files, logs, log } = await outcomeLog({ maxPendingBytes: 3000 });
    for (let i = 0; i < 5; i += 1) log.write(event(`before-${i}`));
    await settled(log);
    files.faults = [{ op: 'append', code: 'ENOSPC', partial: true }];
    log.write(event('during-0'));
    await waitFor('the failure', () => log.health().status === 'degraded');
    for (let i = 1; i < 40; i += 1) log.write(event(`during-${i}`));
    expect(files.partialBytes).toBeGreaterThan(0);
    // The half-written batch was cut back: the file holds the five lines before, whole.
    const name = logFileName('outcomes', DAY, 'test-1', 0);
    expect(filesOf(dir)[name]!.map((line) => line.unit)).toEqual(
      Array.from({ length: 5 }, (_, i) => `before-${i}`),
    );
    const health = log.health();
    expect(health).toMatchObject({
      status: 'degraded',
      failure: { reason: 'no_space', summary: expect.stringMatching(/disk .* is full/) },
      dropped: { no_space: expect.any(Number) },
      failures: { no_space: expect.any(Number) },
    });
    expect(JSON.stringify(health)).not.toContain(dir);
    const waiting = health.waiting;
    expect(waiting + health.dropped.no_space!).toBe(40);
    expect(waiting).toBeGreaterThan(0);
    const registry = new Registry();
    registerEventLogMetrics(log, registry);
    const text = await registry.metrics();
    expect(text).toContain(
      `flagroute_outcome_events_dropped_total{reason="no_space"} ${health.dropped.no_space}`,
    );
    expect(text).toContain('flagroute_outcome_events_dropped_total{reason="backlog"} 0');
    expect(text).toMatch(
      /flagroute_outcome_event_log_write_failures_total\{reason="no_space"\} [1-9]/,
    );
    expect(logs.filter((line) => line.level === 50 && line.reason === 'no_space')).toHaveLength(2);

    files.faults = [];
    await waitFor('writing again', () => log.health().status === 'ok');
    await settled(log);
    log.write(event('after'));
    await log.close();
    const units = filesOf(dir)[name]!.map((line) => line.unit);
    expect(units).toHaveLength(5 + waiting + 1);
    expect(units.slice(5, -1)).toEqual(Array.from({ length: waiting }, (_, i) => `during-${i}`));
    expect(units.at(-1)).toBe('after');
    expect(log.written).toBe(units.length);
    expect(
      logs.some((line) => /is written again \(it failed with no_space/.test(String(line.msg))),
    ).toBe(true);
  });

  it('flushed(): resolves once what was appended is in the file, at once when nothing waits, and on a failed write without waiting for the retry', async () => {
    const { dir, files, log } = await outcomeLog();
    await log.flushed();
    const name = logFileName('outcomes', DAY, 'test-1', 0);
    for (let i = 0; i < 3; i += 1) log.write(event(`a-${i}`));
    const first = log.flushed();
    log.write(event('b'));
    await first;
    // Read synchronously, at once: the three are there whatever the scheduler did.
    expect(
      filesOf(dir)
        [name]!.map((line) => line.unit)
        .slice(0, 3),
    ).toEqual(['a-0', 'a-1', 'a-2']);
    await log.flushed();
    expect(filesOf(dir)[name]!.map((line) => line.unit)).toEqual(['a-0', 'a-1', 'a-2', 'b']);

    files.faults = [{ op: 'append', code: 'ENOSPC' }];
    log.write(event('c'));
    await log.flushed();
    expect(log.health()).toMatchObject({ status: 'degraded', waiting: 1 });
    // While the disk fails, a caller is not held for the retry.
    log.write(event('d'));
    await log.flushed();
    expect(log.health().waiting).toBe(2);
    files.faults = [];
    await log.close();
    await log.flushed();
    expect(filesOf(dir)[name]!.map((line) => line.unit)).toEqual([
      'a-0',
      'a-1',
      'a-2',
      'b',
      'c',
      'd',
    ]);
  });

  it('an I/O error: retried until the disk takes it, none of the failed write left behind', async () => {
    const { dir, files, log } = await outcomeLog();
    log.write(event('a'));
    await settled(log);
    files.faults = [{ op: 'append', code: 'EIO', partial: true }];
    log.write(event('b'));
    await waitFor('the failure', () => log.health().failure?.reason === 'io_error');
    files.faults = [];
    await settled(log);
    await log.close();
    expect(filesOf(dir)).toEqual({
      [logFileName('outcomes', DAY, 'test-1', 0)]: [event('a'), event('b')],
    });
  });

  it('a part of a line that cannot be cut off: the file is left, writing goes on in a new one, and a reader skips the part', async () => {
    const { dir, files, logs, log } = await outcomeLog();
    log.write(event('a'));
    await settled(log);
    files.faults = [
      { op: 'append', code: 'ENOSPC', partial: true, once: true },
      { op: 'truncate', code: 'EIO', once: true },
    ];
    log.write(event('b'));
    await waitFor('both written', () => log.written === 2);
    expect(log.health()).toMatchObject({ status: 'ok', failures: { no_space: 1 } });
    await log.close();
    expect(logs.some((line) => /could not be cut off/.test(String(line.msg)))).toBe(true);
    const names = readdirSync(dir).sort();
    expect(names).toEqual(
      [logFileName('outcomes', DAY, 'test-1', 1), logFileName('outcomes', DAY, 'test-1', 0)].sort(),
    );
    const read = await readEventFiles(names.map((name) => join(dir, name)));
    expect(read.accumulator.counts.analyzed).toBe(2);
    expect(read.malformed).toBe(1);
  });

  it('a deleted file, a file moved away by log rotation and a deleted directory: a new file, nothing lost after', async () => {
    const { dir, logs, log } = await outcomeLog();
    const name = logFileName('outcomes', DAY, 'test-1', 0);
    log.write(event('first'));
    await settled(log);
    unlinkSync(join(dir, name));
    log.write(event('after deletion'));
    await settled(log);
    renameSync(join(dir, name), join(dir, 'rotated.jsonl'));
    log.write(event('after rotation'));
    await settled(log);
    rmSync(dir, { recursive: true });
    log.write(event('after the directory'));
    await settled(log);
    expect(log.health()).toMatchObject({ status: 'ok', reopened: 3 });
    await log.close();
    expect(filesOf(dir)).toEqual({ [name]: [event('after the directory')] });
    expect(logs.filter((line) => /was deleted or moved away/.test(String(line.msg)))).toHaveLength(
      3,
    );
  });

  it('two writers on one directory, even under one name, write files of their own and lose nothing', async () => {
    const { dir } = await tempConfigDir();
    const logs = [0, 1].map(
      () =>
        new EventLog<OutcomeEvent>({
          dir,
          kind: 'outcome',
          instance: 'same-name',
          maxFileBytes: 4000,
        }),
    );
    for (let i = 0; i < 300; i += 1) logs[i % 2]!.write(event(`u${i}`));
    await Promise.all(logs.map((log) => log.close()));
    const files = filesOf(dir);
    const units = Object.values(files)
      .flat()
      .map((line) => line.unit);
    expect(units.sort()).toEqual(Array.from({ length: 300 }, (_, i) => `u${i}`).sort());
    for (const name of Object.keys(files)) {
      expect(parseLogFileName('outcomes', name)).toMatchObject({ day: DAY, instance: 'same-name' });
    }
  });

  it('closing on a failing disk: what waits is dropped, counted and logged; writes after close are counted', async () => {
    const { files, logs, log } = await outcomeLog();
    files.faults = [{ op: 'create', code: 'EACCES' }];
    for (let i = 0; i < 3; i += 1) log.write(event(`u${i}`));
    await waitFor('the failure', () => log.health().failure?.reason === 'not_permitted');
    await log.close();
    log.write(event('late'));
    expect(log.health().dropped).toEqual({ not_permitted: 3, closed: 1 });
    expect(
      logs.some((line) =>
        /3 outcome events could not be written before the log closed/.test(String(line.msg)),
      ),
    ).toBe(true);
  });

  it("file names: this process's, rotated, older unnamed ones; instance names are checked", () => {
    expect(logFileName('outcomes', DAY, 'web-1-42', 0)).toBe('outcomes-2026-11-26.web-1-42.jsonl');
    expect(parseLogFileName('outcomes', 'outcomes-2026-11-26.web-1-42.3.jsonl')).toMatchObject({
      instance: 'web-1-42',
      index: 3,
    });
    expect(parseLogFileName('outcomes', 'outcomes-2026-11-26.2.jsonl')).toMatchObject({
      instance: '',
      index: 2,
    });
    expect(parseLogFileName('outcomes', 'exposures-2026-11-26.jsonl')).toBeNull();
    const dir = '/nonexistent';
    expect(() => new EventLog({ dir, kind: 'outcome', instance: '42' })).toThrow(/not only digits/);
    expect(() => new EventLog({ dir, kind: 'outcome', instance: 'a.b' })).toThrow(
      /letters, digits/,
    );
  });
});
