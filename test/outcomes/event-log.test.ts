import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  analyzeExperiment,
  type ExperimentReport,
} from '../../src/experiment/analyze-experiment.js';
import { readEventFiles } from '../../src/experiment/read-events.js';
import type { OutcomeEvent } from '../../src/outcomes/index.js';
import { OutcomeEventLog, unitKey } from '../../src/outcomes/index.js';
import { experimentEnv, tempConfigDir } from '../helpers/config-dir.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { INGEST_TOKEN, post, postOutcomes, testServer } from '../helpers/test-server.js';

const SALT = 'event-log-salt-7f3a9c';
const ENV = 'environments/development.yaml';
const BODY = experimentEnv(SALT, 100);

const event = (time: string, extra: Partial<OutcomeEvent> = {}): OutcomeEvent => ({
  time,
  unit: 'u1',
  cohort: 'lightrag',
  backend: 'lightrag',
  success: true,
  latencyMs: 1830,
  ...extra,
});

describe('the outcome event log', () => {
  it('writes daily files of its own, rotates past the size limit, prunes the oldest, and after a restart takes the next file', async () => {
    const { dir } = await tempConfigDir();
    const options = { dir, instance: 'web-1', maxFileBytes: 1000, maxTotalBytes: 2500 };
    const log = new OutcomeEventLog(options);
    for (let i = 0; i < 12; i += 1) log.write(event('2026-11-25T23:59:00.000Z', { unit: `u${i}` }));
    for (let i = 0; i < 3; i += 1) log.write(event('2026-11-26T00:01:00.000Z'));
    await log.close();
    const files = readdirSync(dir).sort();
    // 12 lines of ~150 bytes: files on the 25th (the oldest pruned beyond 2,500 bytes).
    expect(files).toContain('outcomes-2026-11-26.web-1.jsonl');
    expect(files.some((name) => /^outcomes-2026-11-25\.web-1(\.\d+)?\.jsonl$/.test(name))).toBe(
      true,
    );
    const total = files.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    expect(total).toBeLessThanOrEqual(2500 + 1000);
    for (const name of files) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(1000);
    expect(log.written).toBe(15);
    // A process of the same name (a restart, pid 1 in a container) never appends to a file an
    // earlier one may still hold: it creates the next.
    const again = new OutcomeEventLog(options);
    again.write(event('2026-11-26T08:00:00.000Z', { unit: 'later' }));
    await again.close();
    const lines = (name: string) => readFileSync(join(dir, name), 'utf8').trim().split('\n');
    expect(lines('outcomes-2026-11-26.web-1.jsonl')).toHaveLength(3);
    expect(lines('outcomes-2026-11-26.web-1.1.jsonl').map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ unit: 'later' }),
    ]);
  });

  it('drops (and counts) events instead of queueing without bound when the disk is behind', async () => {
    const { dir } = await tempConfigDir();
    const log = new OutcomeEventLog({ dir, instance: 'web-1', maxPendingBytes: 2000 });
    for (let i = 0; i < 1000; i += 1) log.write(event('2026-11-26T10:00:00.000Z'));
    expect(log.health().dropped.backlog).toBeGreaterThan(0);
    await log.close();
    expect(log.written + log.dropped).toBe(1000);
    const lines = readFileSync(join(dir, 'outcomes-2026-11-26.web-1.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(log.written);
  });

  it('through the server: pseudonymous units, never the user id or the salt; user-level analysis of what was served', async () => {
    const temp = await tempConfigDir({ [ENV]: BODY });
    const eventsDir = join(temp.dir, 'events');
    const clock = new FakeClock(Date.parse('2026-11-26T12:00:00Z'));
    const server = await testServer({
      configDir: temp.dir,
      watch: false,
      eventsDir,
      clock,
      ingestToken: INGEST_TOKEN,
    });
    const users = Array.from({ length: 60 }, (_, i) => `person-${i}@example.com`);
    const outcomes: Record<string, unknown>[] = [];
    for (const [index, userId] of users.entries()) {
      for (let query = 0; query < 1 + (index % 3); query += 1) {
        const decision = (await post(`${server.url}/v1/decide`, { userId })).body as {
          decisionId: string;
          cohort: string;
        };
        const quality =
          (decision.cohort === 'lightrag' ? 0.85 : 0.78) + ((index * 7 + query) % 10) / 100;
        outcomes.push({
          decisionId: decision.decisionId,
          userId,
          success: true,
          latencyMs: 1000 + index,
          quality,
        });
      }
    }
    expect((await postOutcomes(`${server.url}/v1/outcomes`, outcomes)).status).toBe(200);
    const live = (await fetch(`${server.url}/v1/experiment`).then((response) =>
      response.json(),
    )) as ExperimentReport;
    await server.close();

    const [file] = readdirSync(eventsDir);
    expect(file).toBe(`outcomes-2026-11-26.${server.eventLog!.instance}.jsonl`);
    expect(server.eventLog!.instance).toMatch(new RegExp(`-${process.pid}$`));
    const text = readFileSync(join(eventsDir, file!), 'utf8');
    expect(text).not.toContain('example.com');
    expect(text).not.toContain(SALT);
    const records = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as OutcomeEvent & { kind?: string });
    // Beside the outcomes, one exposure record per user (A/B on, one allocation period).
    const exposures = records.filter((record) => record.kind === 'exposure');
    expect(new Set(exposures.map((e) => e.unit))).toEqual(
      new Set(users.map((user) => unitKey(user, SALT))),
    );
    expect(exposures).toHaveLength(users.length);
    const lines = records.filter((record) => record.kind === undefined);
    expect(lines).toHaveLength(outcomes.length);
    expect(new Set(lines.map((line) => line.unit))).toEqual(
      new Set(users.map((user) => unitKey(user, SALT))),
    );
    expect(lines[0]).toMatchObject({
      time: '2026-11-26T12:00:00.000Z',
      latencyMs: 1000,
      success: true,
    });
    expect(
      lines.every(
        (line) => typeof line.decisionId === 'string' && typeof line.configVersion === 'string',
      ),
    ).toBe(true);

    const read = await readEventFiles([join(eventsDir, file!)]);
    expect(read.malformed).toBe(0);
    const perUser = analyzeExperiment(records);
    expect(perUser.unit).toBe('user');
    expect(perUser.srm).toMatchObject({ basis: 'exposures' });
    expect(perUser.outcome_return?.rate).toEqual({ lightrag: 1, perplexity: 1 });
    expect(perUser.units.lightrag + perUser.units.perplexity).toBe(users.length);
    // The live report (per request) equals the request-level analysis of the same outcomes.
    const perRequest = analyzeExperiment(lines, { unit: 'request' });
    expect(live.metrics.quality_score.mean[0]).toBeCloseTo(
      perRequest.metrics.quality_score.mean[0]!,
      12,
    );
    expect(live.metrics.quality_score.p_value).toBeCloseTo(
      perRequest.metrics.quality_score.p_value!,
      12,
    );
    expect(live.units).toEqual(perRequest.units);
  });
});
