import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { foldRecord } from '../../src/experiment/fold-record.js';
import { parseOutcome } from '../../src/outcomes/index.js';
import { type CliProcess, startCli, waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { routerIn } from '../helpers/test-router.js';
import { INGEST_TOKEN, post, postOutcomes } from '../helpers/test-server.js';

const BODY = `rollout_percentage: 100
enable_ab_testing: true
user_hash_salt: covariates-processes-salt
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
`;
const KEY = 'k1:secret-of-the-covariates-process-test-0000000000000';

async function serve(dir: string, events: string): Promise<{ process: CliProcess; url: string }> {
  const process = startCli(['serve', '--config-dir', dir, '--port', '0', '--events-dir', events], {
    env: { FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN, FLAGROUTE_DECISION_KEY: KEY },
  });
  const url = await waitFor(
    'the server to listen',
    () => /listening on (\S+)/.exec(process.output())?.[1],
  );
  return { process, url };
}

const linesOf = (dir: string) =>
  readdirSync(dir).flatMap((name) =>
    readFileSync(join(dir, name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>),
  );

describe('covariates travel with the records', () => {
  it('a decision of a real serve process gives its covariates to the outcome posted by id and by token, and to its exposure (schema 2); each line passes the event schema', async () => {
    const temp = await tempConfigDir({ 'environments/development.yaml': BODY });
    const events = join(temp.dir, 'events');
    const server = await serve(temp.dir, events);
    const context = {
      userId: 'ada',
      queryText: 'how do tides work? 🌊', // 20 code points: bucket floor(log2(21)) = 4
      queryType: 'factual',
      region: 'eu-west',
      queryComplexity: 0.7,
    };
    const expected = { queryType: 'factual', lengthBucket: 4, complexity: 0.7, region: 'eu-west' };
    const first = await post(`${server.url}/v1/decide`, context);
    expect(first.status).toBe(200);
    const byId = String((first.body as { decisionId: string }).decisionId);
    const second = await post(`${server.url}/v1/decide`, { ...context, queryType: 'analytical' });
    const token = String((second.body as { decisionToken: string }).decisionToken);
    const answer = await postOutcomes(`${server.url}/v1/outcomes`, [
      { decisionId: byId, userId: 'ada', success: true, latencyMs: 800, quality: 0.9 },
      { decisionToken: token, userId: 'ada', success: true, latencyMs: 700, quality: 0.8 },
    ]);
    expect(answer.status).toBe(200);
    expect(await server.process.stop()).toBe(0);

    const lines = linesOf(events);
    const folder = { add: () => {}, addExposure: () => {} };
    for (const line of lines) expect(foldRecord(folder, line)).not.toHaveProperty('problem');
    const outcomes = lines.filter((line) => line.kind === undefined);
    expect(outcomes).toHaveLength(2);
    expect(outcomes.find((line) => line.latencyMs === 800)?.covariates).toEqual(expected);
    expect(outcomes.find((line) => line.latencyMs === 700)?.covariates).toEqual({
      ...expected,
      queryType: 'analytical',
    });
    const exposures = lines.filter((line) => line.kind === 'exposure');
    expect(exposures).toHaveLength(1);
    expect(exposures[0]).toMatchObject({ schema: 2, covariates: expected });
  });

  it('in process: router.recordOutcome(decision) writes the decision covariates; a decision outside the experiment has none; a version 1 exposure line and an outcome line without covariates still read', async () => {
    const { router } = await routerIn({ 'environments/development.yaml': BODY });
    const written: Record<string, unknown>[] = [];
    router.addOutcomeSink({
      write: (event) => written.push(event as unknown as Record<string, unknown>),
    });
    const decision = router.decideSync({ userId: 'cy', queryText: '', queryType: 'chat' });
    expect(decision.covariates).toEqual({ queryType: 'chat', lengthBucket: 0 });
    router.recordOutcome(decision, { success: false });
    expect(written[0]?.covariates).toEqual({ queryType: 'chat', lengthBucket: 0 });
    expect(router.decideSync({ userId: 'cy' }).covariates).toBeNull();

    const old = {
      kind: 'exposure',
      schema: 1,
      time: '2026-12-06T10:00:00Z',
      unit: '0123456789abcdef0123456789abcdef',
      cohort: 'lightrag',
      backend: 'lightrag',
      percentage: 10,
      period: 'p10',
    };
    const folded: unknown[] = [];
    const folder = { add: () => {}, addExposure: (exposure: unknown) => folded.push(exposure) };
    expect(foldRecord(folder, old)).toEqual({ outcome: null });
    expect(folded).toEqual([old]);
    expect(foldRecord(folder, { ...old, schema: 3 })).toHaveProperty('problem');
    const line = {
      time: '2026-12-06T10:00:00Z',
      cohort: 'lightrag',
      backend: 'lightrag',
      success: true,
    };
    expect(parseOutcome(line, 'event').ok).toBe(true);
    expect(parseOutcome({ ...line, covariates: { lengthBucket: -1 } }, 'event').ok).toBe(false);
  });
});
