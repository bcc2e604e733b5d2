import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import { describe, expect, it } from 'vitest';
import type { Router } from '../../src/router/router.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { nextEvent } from '../helpers/events.js';
import { assertOfrep } from '../helpers/ofrep-schema.js';
import { capturingLogger, silentLogger } from '../helpers/silent-logger.js';
import { testRouter } from '../helpers/test-router.js';
import { post, testServer } from '../helpers/test-server.js';

const ENV = `rollout_percentage: 40
enable_ab_testing: true
enable_conditional_routing: true
rule_files: [rules/r.yaml]
rollback_triggers: {enabled: false}
`;
const RULES = `routing_rules:
  clinical: {type: query_type, allowed_types: [clinical]}
  pro_plan:
    conditions: {all: [{fact: plan, operator: equal, value: pro}]}
geographic_routing:
  eu: {rollout_percentage: 70}
`;

async function setUp() {
  const temp = await tempConfigDir({ 'environments/development.yaml': ENV, 'rules/r.yaml': RULES });
  const server = await testServer({ configDir: temp.dir, watch: false });
  const library: Router = await testRouter({
    configDir: temp.dir,
    env: {},
    logger: silentLogger(),
    watch: false,
  });
  return { server, library, dir: temp.dir };
}

const REGIONS = ['eu', 'us', undefined];
const TYPES = ['clinical', 'general', undefined];

describe('OFREP through the official OpenFeature client', () => {
  it('decides 1,000 contexts exactly as the library does', async () => {
    const { server, library } = await setUp();
    const provider = new OFREPProvider({ baseUrl: server.url });
    await OpenFeature.setProviderAndWait('flagroute-test', provider);
    const client = OpenFeature.getClient('flagroute-test');
    try {
      // Ten contexts at a time: the same 3,000 evaluations, without 3,000 round trips in a
      // row (about 27 s on a loaded machine, against the 30 s a test may take).
      const check = async (index: number) => {
        const context: Record<string, string> = { targetingKey: `user-${index}` };
        const region = REGIONS[index % 3];
        const queryType = TYPES[Math.floor(index / 3) % 3];
        if (region) context.region = region;
        if (queryType) context.queryType = queryType;
        if (index % 5 === 0) context.plan = 'pro';
        const backend = await client.getStringDetails('backend', 'perplexity', context);
        const cohort = await client.getStringValue('cohort', 'none', context);
        const bucket = await client.getNumberValue('bucket', -1, context);
        const { targetingKey = '', plan, ...named } = context;
        const expected = await library.decide({
          userId: targetingKey,
          ...named,
          ...(plan ? { attributes: { plan } } : {}),
        });
        expect(backend.value, JSON.stringify(context)).toBe(expected.backend);
        expect(backend.variant).toBe(expected.cohort ?? 'none');
        expect(backend.reason).toBe(
          expected.reason === 'conditional_rule' ? 'TARGETING_MATCH' : 'SPLIT',
        );
        expect(backend.flagMetadata).toMatchObject({
          reason: expected.reason,
          configVersion: expected.configVersion,
          rolloutPercentage: expected.rolloutPercentage,
        });
        expect(cohort).toBe(expected.cohort ?? 'none');
        expect(bucket).toBe(library.bucketOf({ userId: targetingKey }));
      };
      for (let from = 0; from < 1000; from += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, offset) => check(from + offset)));
      }
    } finally {
      await OpenFeature.clearProviders();
    }
  });

  it('answers a flag it does not serve with FLAG_NOT_FOUND, as the SDK expects', async () => {
    const { server } = await setUp();
    await OpenFeature.setProviderAndWait(
      'flagroute-missing',
      new OFREPProvider({ baseUrl: server.url }),
    );
    try {
      const details = await OpenFeature.getClient('flagroute-missing').getBooleanDetails(
        'dark-mode',
        false,
        {
          targetingKey: 'a',
        },
      );
      expect(details).toMatchObject({ value: false, errorCode: 'FLAG_NOT_FOUND' });
      // A key longer than the server takes in a path names no flag either (not GENERAL).
      const long = await OpenFeature.getClient('flagroute-missing').getBooleanDetails(
        'k'.repeat(101),
        false,
        { targetingKey: 'a' },
      );
      expect(long).toMatchObject({ value: false, errorCode: 'FLAG_NOT_FOUND' });
    } finally {
      await OpenFeature.clearProviders();
    }
  });
});

describe('hot reload through the server', () => {
  it('a saved file changes what OFREP answers, with no restart', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml': 'rollout_percentage: 0\n',
    });
    const server = await testServer({ configDir: temp.dir });
    const url = `${server.url}/ofrep/v1/evaluate/flags/backend`;
    const before = await post(url, { context: { targetingKey: 'alice' } });
    assertOfrep('serverEvaluationSuccess', before.body);
    expect(before.body).toMatchObject({ value: 'perplexity', metadata: { rolloutPercentage: 0 } });
    const reloaded = nextEvent(server.router, 'reload');
    await writeFile(join(temp.dir, 'environments/development.yaml'), 'rollout_percentage: 100\n');
    await reloaded;
    const after = await post(url, { context: { targetingKey: 'alice' } });
    assertOfrep('serverEvaluationSuccess', after.body);
    expect(after.body).toMatchObject({ value: 'lightrag', metadata: { rolloutPercentage: 100 } });
  });
});

describe('OFREP responses follow the spec', () => {
  it('single evaluations, bulk evaluations and every failure validate against the schemas', async () => {
    const { server } = await setUp();
    const single = `${server.url}/ofrep/v1/evaluate/flags`;
    const ok = await post(`${single}/backend`, {
      context: { targetingKey: 'a', region: 'eu', queryType: 'clinical' },
    });
    expect(ok.status).toBe(200);
    assertOfrep('serverEvaluationSuccess', ok.body);
    expect(ok.body).toMatchObject({
      key: 'backend',
      reason: 'SPLIT',
      metadata: { decisionId: expect.any(String) },
    });

    const bulk = await post(single, { context: { targetingKey: 'a' } });
    expect(bulk.status).toBe(200);
    assertOfrep('bulkEvaluationSuccess', bulk.body);
    expect((bulk.body as { flags: { key: string }[] }).flags.map((flag) => flag.key)).toEqual([
      'backend',
      'cohort',
      'bucket',
    ]);

    const cases: [
      string,
      unknown,
      number,
      string,
      'evaluationFailure' | 'flagNotFound' | 'bulkEvaluationFailure',
    ][] = [
      [
        `${single}/backend`,
        { context: { region: 'eu' } },
        400,
        'TARGETING_KEY_MISSING',
        'evaluationFailure',
      ],
      [`${single}/backend`, { context: 'alice' }, 400, 'INVALID_CONTEXT', 'evaluationFailure'],
      [`${single}/backend`, { nothing: true }, 400, 'INVALID_CONTEXT', 'evaluationFailure'],
      [
        `${single}/backend`,
        { context: { targetingKey: 'a', queryComplexity: -1 } },
        400,
        'INVALID_CONTEXT',
        'evaluationFailure',
      ],
      [`${single}/nope`, { context: { targetingKey: 'a' } }, 404, 'FLAG_NOT_FOUND', 'flagNotFound'],
      // Longer than a path parameter may be: no flag, as for any other key (OFREP has no 414).
      [
        `${single}/${'k'.repeat(101)}`,
        { context: { targetingKey: 'a' } },
        404,
        'FLAG_NOT_FOUND',
        'flagNotFound',
      ],
      [
        single,
        { context: { region: 'eu' } },
        400,
        'TARGETING_KEY_MISSING',
        'bulkEvaluationFailure',
      ],
      [single, [], 400, 'INVALID_CONTEXT', 'bulkEvaluationFailure'],
    ];
    for (const [url, body, status, errorCode, schema] of cases) {
      const response = await post(url, body);
      expect(
        [response.status, (response.body as { errorCode: string }).errorCode],
        JSON.stringify(body),
      ).toEqual([status, errorCode]);
      assertOfrep(schema, response.body);
    }

    const malformed = await post(`${single}/backend`, '{"context": ', {
      'content-type': 'application/json',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ key: 'backend', errorCode: 'PARSE_ERROR' });
    assertOfrep('evaluationFailure', malformed.body);

    const long = await post(`${single}/${'k'.repeat(300)}`, { context: { targetingKey: 'a' } });
    expect(long.body).toEqual({
      errorCode: 'FLAG_NOT_FOUND',
      errorDetails: `flag "${'k'.repeat(64)}"… (300 characters) is not served here; the flags are backend, cohort, bucket`,
      key: `${'k'.repeat(64)}… (300 characters)`,
    });
    // Another route keeps the status that says what is wrong with the URL.
    const native = await post(`${server.url}/v1/rollout/plan/${'k'.repeat(101)}`, {});
    expect([native.status, (native.body as { errorCode: string }).errorCode]).toEqual([
      414,
      'BAD_REQUEST',
    ]);
  });

  it('refuses a null field and a misspelt key with a message that says what to change', async () => {
    const { server } = await setUp();
    const evaluate = (context: Record<string, unknown>) =>
      post(`${server.url}/ofrep/v1/evaluate/flags/backend`, {
        context: { targetingKey: 'a', ...context },
      });
    const refused: [Record<string, unknown>, string][] = [
      [
        { region: null },
        'context.region is null (a Python None): leave out a key that has no value',
      ],
      [{ queryText: null }, 'context.queryText is null (a Python None)'],
      [{ regoin: 'eu' }, 'context.regoin is not a field flagroute reads (did you mean "region"?)'],
      [{ query_text: 'x' }, 'did you mean "queryText"?'],
      [{ QueryType: 'clinical' }, 'did you mean "queryType"?'],
      [{ sesionId: 's' }, 'did you mean "sessionId"?'],
      [{ userId: 'a' }, 'did you mean "targetingKey"?'],
    ];
    for (const [context, message] of refused) {
      const response = await evaluate(context);
      expect(response.status, JSON.stringify(context)).toBe(400);
      expect(response.body).toMatchObject({ key: 'backend', errorCode: 'INVALID_CONTEXT' });
      expect((response.body as { errorDetails: string }).errorDetails).toContain(message);
      assertOfrep('evaluationFailure', response.body);
    }
    // Attributes of any other name reach the rules: two slips from a field (reason, session),
    // a free attribute that is null, and one close to a field that a loaded rule reads (plan).
    for (const context of [{ reason: 'x' }, { session: 's' }, { tier: null }, { plan: 'pro' }]) {
      expect((await evaluate(context)).status, JSON.stringify(context)).toBe(200);
    }
    const bulk = await post(`${server.url}/ofrep/v1/evaluate/flags`, {
      context: { targetingKey: 'a', regoin: 'eu' },
    });
    expect(bulk.status).toBe(400);
    assertOfrep('bulkEvaluationFailure', bulk.body);
  });

  it('never refuses a key that a loaded rule reads, even one slip from a field', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml': `${ENV.replace('rules/r.yaml', 'rules/regions.yaml')}`,
      'rules/regions.yaml':
        'routing_rules:\n  multi:\n    conditions: {all: [{fact: regions, operator: contains, value: eu}]}\n',
    });
    const server = await testServer({ configDir: temp.dir, watch: false });
    const response = await post(`${server.url}/ofrep/v1/evaluate/flags/backend`, {
      context: { targetingKey: 'a', regions: ['eu'] },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ reason: 'SPLIT' });
  });

  it('answers on the asynchronous path too, when a rule needs the engine run', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml':
        'rollout_percentage: 100\nenable_conditional_routing: true\nrule_files: [rules/r.yaml]\nrollback_triggers: {enabled: false}\n',
      'rules/r.yaml':
        'routing_rules:\n  gold:\n    conditions:\n      all: [{ fact: account, path: $.tier, operator: equal, value: gold }]\n',
    });
    const server = await testServer({ configDir: temp.dir, watch: false });
    const url = `${server.url}/ofrep/v1/evaluate/flags/backend`;
    const gold = await post(url, { context: { targetingKey: 'a', account: { tier: 'gold' } } });
    expect(gold.status).toBe(200);
    expect(gold.body).toMatchObject({ value: 'lightrag', reason: 'SPLIT' });
    const tin = await post(url, { context: { targetingKey: 'a', account: { tier: 'tin' } } });
    expect(tin.body).toMatchObject({ value: 'perplexity', reason: 'TARGETING_MATCH' });
    const missing = await post(url, { context: { account: { tier: 'gold' } } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ key: 'backend', errorCode: 'TARGETING_KEY_MISSING' });
    assertOfrep('evaluationFailure', missing.body);
  });

  it('bulk ETags change with the context and the configuration, and If-None-Match gives 304', async () => {
    const { server, dir } = await setUp();
    const url = `${server.url}/ofrep/v1/evaluate/flags`;
    const first = await post(url, { context: { targetingKey: 'a' } });
    assertOfrep('bulkEvaluationSuccess', first.body);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await post(url, { context: { targetingKey: 'a' } }, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    const other = await post(url, { context: { targetingKey: 'b' } }, { 'if-none-match': etag });
    expect(other.status).toBe(200);
    assertOfrep('bulkEvaluationSuccess', other.body);
    expect(other.headers.get('etag')).not.toBe(etag);
    await writeFile(
      `${dir}/environments/development.yaml`,
      ENV.replace('rollout_percentage: 40', 'rollout_percentage: 41'),
    );
    expect((await server.router.reload()).ok).toBe(true);
    const changed = await post(url, { context: { targetingKey: 'a' } }, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });
});

describe('keys beside "context" in an OFREP request', () => {
  it('are ignored as the spec lets a request carry them, and logged once per key, a context field as misplaced', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml': ENV,
      'rules/r.yaml': RULES,
    });
    const { logger, lines } = capturingLogger();
    const server = await testServer({ configDir: temp.dir, watch: false, logger });
    const warnings = () =>
      lines.filter(
        (line) => line.level === 40 && /carried .* beside "context"/.test(String(line.msg)),
      );
    const single = `${server.url}/ofrep/v1/evaluate/flags/backend`;
    const plain = await post(single, { context: { targetingKey: 'alice', region: 'eu' } });
    // OFREP's evaluationRequest requires context and allows other keys: a newer provider's field
    // must not fail an evaluation, so the answer is the same as without them.
    for (const body of [
      { context: { targetingKey: 'alice', region: 'eu' }, region: 'us', flagConfigEtag: 'x' },
      { context: { targetingKey: 'alice', region: 'eu' }, region: 'us', plan: 'pro' },
    ]) {
      const answer = await post(single, body);
      expect(answer.status).toBe(200);
      assertOfrep('serverEvaluationSuccess', answer.body);
      expect((answer.body as { value: string }).value).toBe(
        (plain.body as { value: string }).value,
      );
    }
    const bulk = await post(`${server.url}/ofrep/v1/evaluate/flags`, {
      context: { targetingKey: 'alice' },
      region: 'us',
    });
    expect(bulk.status).toBe(200);
    expect(warnings().map((line) => [line.key, line.msg])).toEqual([
      [
        'region',
        'an OFREP request carried "region" beside "context" and it was ignored: OFREP reads only "context", and "region" is a field of the context; put it inside "context" (logged once per key)',
      ],
      [
        'flagConfigEtag',
        'an OFREP request carried "flagConfigEtag" beside "context" and it was ignored: OFREP v0.3.0 defines no such key, and a request may carry keys a newer version adds (logged once per key)',
      ],
      [
        'plan',
        'an OFREP request carried "plan" beside "context" and it was ignored: OFREP reads only "context", and "plan" is an attribute a loaded rule reads; put it inside "context" (logged once per key)',
      ],
    ]);
    // A caller choosing names cannot flood the log: after 16 names, one line says so.
    for (let index = 0; index < 40; index += 1) {
      await post(single, { context: { targetingKey: 'alice' }, [`k${index}`]: 1 });
    }
    expect(warnings()).toHaveLength(16);
    expect(
      lines.filter((line) => /more keys beside "context"/.test(String(line.msg))),
    ).toHaveLength(1);
  });

  it('a targetingKey beside a context that has none is refused saying where it must go', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml': ENV,
      'rules/r.yaml': RULES,
    });
    const server = await testServer({ configDir: temp.dir, watch: false });
    const said =
      'context.targetingKey (the user id) is missing, and the body carries "targetingKey" beside "context", where OFREP does not read it: put it inside "context" ({"context": {"targetingKey": ...}})';
    const single = await post(`${server.url}/ofrep/v1/evaluate/flags/backend`, {
      context: { region: 'eu' },
      targetingKey: 'alice',
    });
    expect(single).toMatchObject({
      status: 400,
      body: { errorCode: 'TARGETING_KEY_MISSING', errorDetails: said, key: 'backend' },
    });
    assertOfrep('evaluationFailure', single.body);
    const bulk = await post(`${server.url}/ofrep/v1/evaluate/flags`, {
      context: {},
      targetingKey: 'alice',
    });
    expect(bulk).toMatchObject({
      status: 400,
      body: { errorCode: 'TARGETING_KEY_MISSING', errorDetails: said },
    });
    // With a key inside, the one beside is ignored like any other key there.
    const inside = await post(`${server.url}/ofrep/v1/evaluate/flags/backend`, {
      context: { targetingKey: 'alice' },
      targetingKey: 'bob',
    });
    expect(inside.status).toBe(200);
    // Without one beside, the usual words.
    const none = await post(`${server.url}/ofrep/v1/evaluate/flags/backend`, { context: {} });
    expect(none.body).toMatchObject({
      errorCode: 'TARGETING_KEY_MISSING',
      errorDetails: 'context.targetingKey (the user id) must be a non-empty string',
    });
  });
});
