import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseDecisionKeys, signDecisionToken } from '../../src/decision-tokens/index.js';
import { unitKey } from '../../src/outcomes/index.js';
import { type CliProcess, startCli, waitFor } from '../helpers/cli-process.js';
import { expectClose } from '../helpers/close-reports.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';
import { SeededRandom } from '../helpers/seeded-random.js';
import { INGEST_TOKEN, post, postOutcomes } from '../helpers/test-server.js';

const SECRET = 'the-decision-key-of-the-fleet-outcomes-test-0123456789';
const ADMIN_TOKEN = 'admin-token-of-the-fleet-outcomes-test';
const PLAN = `rollout_percentage: 0
enable_ab_testing: true
user_hash_salt: fleet-outcomes-plan-salt
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
rollout_plan:
  stages:
    - { percentage: 50, hold: 1h, min_units: 5 }
    - { percentage: 100, hold: 1h }
  guardrails: { metrics: [success_rate, quality_score] }
`;
const BODY = `rollout_percentage: 60
enable_ab_testing: true
user_hash_salt: fleet-outcomes-salt
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
`;

interface Instance {
  process: CliProcess;
  url: string;
}

async function serveInstance(
  configDir: string,
  store: string,
  events: string,
  more: string[] = [],
): Promise<Instance> {
  const process = startCli(
    ['serve', '--config-dir', configDir, '--port', '0', '--events-dir', events, ...more],
    {
      env: {
        FLAGROUTE_STORE: store,
        FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN,
        FLAGROUTE_DECISION_KEY: `fleet:${SECRET}`,
        FLAGROUTE_ADMIN_TOKEN: ADMIN_TOKEN,
      },
    },
  );
  const url = await waitFor(
    'flagroute serve to listen',
    () => /listening on (\S+)/.exec(process.output())?.[1],
    60_000,
  );
  return { process, url };
}

/** The OFREP evaluation of `backend` for a user: its value and its metadata. */
async function decide(instance: Instance, user: string) {
  const answer = await post(`${instance.url}/ofrep/v1/evaluate/flags/backend`, {
    context: { targetingKey: user },
  });
  expect(answer.status).toBe(200);
  return answer.body as { value: string; metadata: Record<string, string> };
}

describePostgres('outcomes across a fleet on PostgreSQL', () => {
  const postgres = usePostgres();

  it('three instances: an outcome posted anywhere counts once, a replay is refused as a duplicate, forged and expired tokens are refused; the report from the store equals the report from the event logs', async () => {
    const store = await postgres().createDatabase();
    const temp = await tempConfigDir({ 'environments/development.yaml': BODY });
    const events = join(temp.dir, 'events');
    const instances: Instance[] = [];
    // One after another: the first migrates the schema.
    for (let index = 0; index < 3; index += 1) {
      instances.push(await serveInstance(temp.dir, store, events));
    }
    const [one, two, three] = instances as [Instance, Instance, Instance];

    // A decision of instance 1, its outcome posted to instance 2, its replay to 2 and 3.
    const decided = await decide(one, 'alice');
    const token = decided.metadata.decisionToken!;
    const outcome = { decisionToken: token, success: true, latencyMs: 850, quality: 0.9 };
    expect(await postOutcomes(`${two.url}/v1/outcomes`, outcome)).toMatchObject({
      status: 200,
      body: { recorded: 1, duplicates: 0 },
    });
    for (const instance of [two, three, one]) {
      expect(
        await postOutcomes(`${instance.url}/v1/outcomes`, { ...outcome, success: false }),
      ).toMatchObject({ status: 200, body: { recorded: 0, duplicates: 1 } });
    }
    const counted = await postgres().query<{ n: string }>(
      'SELECT count(*) AS n FROM flagroute.outcome_events WHERE decision_id = $1',
      [decided.metadata.decisionId],
      new URL(store).pathname.slice(1),
    );
    expect(Number(counted[0]!.n)).toBe(1);

    // Forged (claims altered under the signature) and expired (signed, past its expiry).
    const [format, keyId, body, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString());
    const forged = [
      format,
      keyId,
      Buffer.from(JSON.stringify({ ...claims, bucket: claims.bucket + 1 })).toString('base64url'),
      signature,
    ].join('.');
    const expired = signDecisionToken(
      { ...claims, id: `${claims.id}-old`, iat: Date.now() - 7_200_000, exp: Date.now() - 1 },
      parseDecisionKeys(`fleet:${SECRET}`),
    );
    const refused = await postOutcomes(`${three.url}/v1/outcomes`, [
      { decisionToken: forged, success: true },
      { decisionToken: expired, success: true },
    ]);
    expect(refused).toMatchObject({
      status: 400,
      body: {
        errorCode: 'INVALID_OUTCOME',
        problems: [
          { index: 0, field: 'decisionToken', reason: 'bad_signature' },
          { index: 1, field: 'decisionToken', reason: 'expired' },
        ],
      },
    });
    expect(JSON.stringify(refused.body)).not.toContain(SECRET);

    // By decision id, on the instance that made it: another user's userId is refused there as by
    // token, and nothing reaches the store; without a userId it counts for the decision's user.
    const bob = await decide(one, 'bob');
    const byId = { decisionId: bob.metadata.decisionId, success: true, latencyMs: 700 };
    const mallory = await postOutcomes(`${one.url}/v1/outcomes`, { ...byId, userId: 'mallory' });
    expect(mallory).toMatchObject({
      status: 400,
      body: { problems: [{ index: 0, field: 'userId', reason: 'user_mismatch' }] },
    });
    expect(await postOutcomes(`${one.url}/v1/outcomes`, byId)).toMatchObject({
      status: 200,
      body: { recorded: 1, duplicates: 0 },
    });
    const kept = await postgres().query<{ unit: string }>(
      'SELECT unit FROM flagroute.outcome_events WHERE decision_id = $1',
      [bob.metadata.decisionId],
      new URL(store).pathname.slice(1),
    );
    expect(kept).toEqual([{ unit: unitKey('bob', 'fleet-outcomes-salt') }]);

    // Traffic: users decided on one instance, outcomes posted to another (some twice).
    const random = new SeededRandom(2027);
    const batches: Record<number, unknown[]> = { 0: [], 1: [], 2: [] };
    for (let user = 0; user < 240; user += 1) {
      const from = instances[user % 3]!;
      for (let query = random.integer(1, 3); query > 0; query -= 1) {
        const { value, metadata } = await decide(from, `user-${user}`);
        const item = {
          decisionToken: metadata.decisionToken,
          success: random.uniform() < (value === 'lightrag' ? 0.95 : 0.9),
          latencyMs: Math.round(500 + 800 * random.uniform()),
          quality: Math.round(1000 * random.uniform()) / 1000,
        };
        batches[(user + 1) % 3]!.push(item);
        if (random.uniform() < 0.1) batches[(user + 2) % 3]!.push(item);
      }
    }
    // Alice's outcome by token and Bob's by id, above.
    let recorded = 2;
    let duplicates = 0;
    for (const [index, items] of Object.entries(batches)) {
      // Batches of 50: with their tokens they stay under the 64 KiB body limit.
      for (let at = 0; at < items.length; at += 50) {
        const url = `${instances[Number(index)]!.url}/v1/outcomes`;
        const answer = await postOutcomes(url, items.slice(at, at + 50));
        expect(answer.status).toBe(200);
        const counts = answer.body as { recorded: number; duplicates: number };
        recorded += counts.recorded;
        duplicates += counts.duplicates;
      }
    }
    const sent = Object.values(batches).reduce((sum, items) => sum + items.length, 0);
    expect(recorded + duplicates).toBe(sent + 2);
    expect(duplicates).toBeGreaterThan(0);

    expect(await Promise.all(instances.map(({ process }) => process.stop()))).toEqual([0, 0, 0]);
    const files = readdirSync(events).map((name) => join(events, name));
    const fromFiles = await runCli(['experiment', 'report', '--events', ...files, '--json']);
    expect(fromFiles.code, fromFiles.stderr).toBe(0);
    const fromStore = await runCli(['experiment', 'report', '--store', store, '--json']);
    expect(fromStore.code, fromStore.stderr).toBe(0);
    const [files_, store_] = [JSON.parse(fromFiles.stdout), JSON.parse(fromStore.stdout)];
    expect(files_.events.analyzed + files_.events.outside_experiment).toBe(recorded);
    expect(files_.unit).toBe('user');
    const mine = (note: string) => /summed per unit by PostgreSQL/.test(note);
    expectClose(
      { ...store_, notes: store_.notes.filter((note: string) => !mine(note)) },
      files_,
      1e-9,
      // The store keeps per-unit sums, not each response time: no tail test (the files have one).
      ['malformed', 'duplicate_decision_ids', 'tails', 'source'],
    );
    expect(store_.tails.comparisons.map((c: { missing: string }) => c.missing)).toEqual([
      'no_values',
      'no_values',
    ]);
    expect(fromStore.stdout).not.toContain(new URL(store).password);
  });

  it('a controller on the postgres source judges the stage per user: each user one unit, in the arm of its exposure, whichever instance took its outcomes', async () => {
    const store = await postgres().createDatabase();
    const temp = await tempConfigDir({ 'environments/development.yaml': PLAN });
    const events = join(temp.dir, 'events');
    const driver = await serveInstance(temp.dir, store, events, [
      '--controller',
      '--metrics',
      'postgres',
      '--interval',
      '1s',
    ]);
    const other = await serveInstance(temp.dir, store, events);
    const database = new URL(store).pathname.slice(1);
    const planState = async () =>
      (
        await postgres().query<{ state: Record<string, unknown> }>(
          "SELECT state FROM flagroute.plan_state WHERE environment = 'development'",
          [],
          database,
        )
      )[0]?.state as
        | { phase: string; lastLook: { units: { treatment: number; baseline: number } } | null }
        | undefined;
    const started = await waitFor('the plan to start', async () => {
      const answer = await post(
        `${driver.url}/v1/rollout/plan/start`,
        { reason: 'fleet outcomes test' },
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      );
      return answer.status === 200 && answer;
    });
    expect(started.status).toBe(200);
    for (const instance of [driver, other]) {
      await waitFor('every instance to serve the first stage', async () => {
        const status = (await fetch(`${instance.url}/v1/status`).then((r) => r.json())) as {
          rolloutPercentage: number;
        };
        return status.rolloutPercentage === 50;
      });
    }

    // Users decided on one instance, their outcomes posted to the other, 1 to 4 each.
    const random = new SeededRandom(25);
    const users = { lightrag: new Set<number>(), perplexity: new Set<number>() };
    const outcomes = { lightrag: 0, perplexity: 0 };
    for (let user = 0; user < 60; user += 1) {
      const [decider, taker] = user % 2 === 0 ? [driver, other] : [other, driver];
      const items: unknown[] = [];
      for (let query = random.integer(1, 4); query > 0; query -= 1) {
        const { metadata } = await decide(decider, `plan-user-${user}`);
        const cohort = metadata.decisionToken
          ? JSON.parse(Buffer.from(metadata.decisionToken.split('.')[2]!, 'base64url').toString())
              .cohort
          : null;
        if (cohort === 'lightrag' || cohort === 'perplexity') {
          users[cohort as 'lightrag' | 'perplexity'].add(user);
          outcomes[cohort as 'lightrag' | 'perplexity'] += 1;
        }
        items.push({
          decisionToken: metadata.decisionToken,
          success: random.uniform() < 0.9,
          quality: 0.7 + random.uniform() / 5,
        });
      }
      expect((await postOutcomes(`${taker.url}/v1/outcomes`, items)).status).toBe(200);
    }
    expect(users.lightrag.size).toBeGreaterThan(5);
    expect(users.perplexity.size).toBeGreaterThan(5);
    // Per user: the units of each arm are its users, fewer than its outcomes.
    expect(outcomes.lightrag + outcomes.perplexity).toBeGreaterThan(
      users.lightrag.size + users.perplexity.size,
    );
    const judged = await waitFor('a look that judged every user of the stage', async () => {
      const state = await planState();
      const units = state?.lastLook?.units;
      return (
        units?.treatment === users.lightrag.size &&
        units.baseline === users.perplexity.size &&
        state
      );
    });
    expect(judged.phase).toBe('running');
    expect(await Promise.all([driver.process.stop(), other.process.stop()])).toEqual([0, 0]);
  });
});
