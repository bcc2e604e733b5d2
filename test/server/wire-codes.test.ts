import { describe, expect, it } from 'vitest';
import { ERROR_CODES, FlagrouteError, InvalidOutcomeError } from '../../src/errors.js';
import { HTTP_STATUSES, toWire } from '../../src/server/http-errors.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { INGEST_TOKEN, post, postOutcomes, testServer } from '../helpers/test-server.js';

/** A request error as fastify reports it. */
const fastifyError = (code: string, statusCode: number, message = 'what fastify said') =>
  Object.assign(new Error(message), { code, statusCode });

describe('toWire: every error becomes one of ERROR_CODES with its status', () => {
  it('a coded error keeps its code, message and the status of its code', () => {
    for (const code of ERROR_CODES) {
      const { status, body } = toWire(new FlagrouteError(code, `because ${code}`));
      expect([status, body]).toEqual([
        HTTP_STATUSES[code],
        { errorCode: code, errorDetails: `because ${code}` },
      ]);
    }
    const batch = InvalidOutcomeError.batch([{ index: 1, field: 'decisionId', message: 'm' }], 2);
    expect(toWire(batch).body).toEqual({
      errorCode: 'INVALID_OUTCOME',
      errorDetails: '1 of 2 outcomes are invalid; none was recorded',
      problems: [{ index: 1, field: 'decisionId', message: 'm' }],
    });
  });

  it("fastify's request errors by their code; anything else is GENERAL with no detail", () => {
    const cases: [Error, number, string][] = [
      [fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 413, 'PAYLOAD_TOO_LARGE'],
      [fastifyError('FST_ERR_SOMETHING', 408), 408, 'BAD_REQUEST'],
      [fastifyError('FST_ERR_SOMETHING', 503), 500, 'GENERAL'],
      [new TypeError('a bug with /etc/secret in it'), 500, 'GENERAL'],
    ];
    for (const [error, status, code] of cases) {
      const wire = toWire(error);
      expect([wire.status, wire.body.errorCode], code).toEqual([status, code]);
      expect(ERROR_CODES).toContain(wire.body.errorCode);
    }
    expect(toWire(new TypeError('a bug with /etc/secret in it')).body.errorDetails).toBe(
      'internal error; see the server log',
    );
  });

  it('on an OFREP route, a code OFREP does not define is GENERAL, with its status kept', () => {
    expect(toWire(new FlagrouteError('ASYNC_RULE', 'x'), { ofrep: true })).toMatchObject({
      status: 500,
      body: { errorCode: 'GENERAL' },
    });
    expect(toWire(fastifyError('FST_ERR_SOMETHING', 400), { ofrep: true }).body.errorCode).toBe(
      'GENERAL',
    );
    for (const code of ['INVALID_CONTEXT', 'TARGETING_KEY_MISSING', 'FLAG_NOT_FOUND'] as const) {
      expect(toWire(new FlagrouteError(code, 'x'), { ofrep: true }).body.errorCode).toBe(code);
    }
  });
});

describe('the server answers every mistake with a code of the list', () => {
  it('routes throw coded errors; the one handler answers them', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml': 'rollout_percentage: 10\n',
    });
    const server = await testServer({
      configDir: temp.dir,
      watch: false,
      adminToken: 'tok',
      ingestToken: INGEST_TOKEN,
    });
    const get = async (path: string) => {
      const response = await fetch(`${server.url}${path}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const answers: [string, { status: number; body: unknown }, number, string][] = [
      ['unknown route', await get('/v1/nothing'), 404, 'NOT_FOUND'],
      ['dashboard file', await get('/dashboard/nope.js'), 404, 'NOT_FOUND'],
      ['dashboard __proto__', await get('/dashboard/__proto__'), 404, 'NOT_FOUND'],
      ['admin without token', await post(`${server.url}/v1/rollback`, {}), 401, 'UNAUTHORIZED'],
      [
        'admin wrong token',
        await post(`${server.url}/v1/rollback`, {}, { authorization: 'Bearer nope' }),
        403,
        'FORBIDDEN',
      ],
      [
        'plan action',
        await post(`${server.url}/v1/rollout/plan/jump`, {}, { authorization: 'Bearer tok' }),
        404,
        'NOT_FOUND',
      ],
      [
        'media type',
        await post(`${server.url}/v1/decide`, 'x', { 'content-type': 'text/csv' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'bad JSON',
        await post(`${server.url}/v1/decide`, '{"userId":', { 'content-type': 'application/json' }),
        400,
        'PARSE_ERROR',
      ],
      [
        'unknown flag',
        await post(`${server.url}/ofrep/v1/evaluate/flags/dark-mode`, { context: {} }),
        404,
        'FLAG_NOT_FOUND',
      ],
      [
        'no context',
        await post(`${server.url}/ofrep/v1/evaluate/flags/backend`, { targetingKey: 'a' }),
        400,
        'INVALID_CONTEXT',
      ],
      [
        'no targeting key',
        await post(`${server.url}/ofrep/v1/evaluate/flags`, { context: { region: 'eu' } }),
        400,
        'TARGETING_KEY_MISSING',
      ],
      [
        'outcome without the ingest token',
        await post(`${server.url}/v1/outcomes`, { backend: 'lightrag', success: true }),
        401,
        'UNAUTHORIZED',
      ],
      [
        'bad outcome',
        await postOutcomes(`${server.url}/v1/outcomes`, { backend: 'gpt', success: true }),
        400,
        'INVALID_OUTCOME',
      ],
    ];
    for (const [what, answer, status, code] of answers) {
      expect([answer.status, (answer.body as { errorCode: string }).errorCode], what).toEqual([
        status,
        code,
      ]);
      expect(typeof (answer.body as { errorDetails: unknown }).errorDetails, what).toBe('string');
    }
    // OFREP's single-flag failures name their flag.
    expect(answers[8]![1].body).toMatchObject({ key: 'dark-mode' });
    expect(answers[9]![1].body).toMatchObject({ key: 'backend' });
  });
});

/** A server of a development environment at 10 %, taking admin requests and outcomes. */
async function developmentServer() {
  const temp = await tempConfigDir({ 'environments/development.yaml': 'rollout_percentage: 10\n' });
  return testServer({
    configDir: temp.dir,
    watch: false,
    ingestToken: INGEST_TOKEN,
    adminToken: 'admin-token',
  });
}

describe('a body with a key that could change a prototype', () => {
  it('is refused naming the key and why, not called "not valid JSON"; broken JSON says where', async () => {
    const server = await developmentServer();
    const json = { 'content-type': 'application/json' };
    const ofrep = await post(
      `${server.url}/ofrep/v1/evaluate/flags/backend`,
      '{"context": {"targetingKey": "alice", "__proto__": {"admin": true}}}',
      json,
    );
    expect(ofrep).toMatchObject({
      status: 400,
      body: {
        errorCode: 'INVALID_CONTEXT',
        errorDetails:
          "invalid routing context: context.__proto__ is a key flagroute refuses in any request: copied into an object it could change that object's prototype; rename it",
        key: 'backend',
      },
    });
    // Spelt with escapes, it is the same key.
    const escaped = await post(
      `${server.url}/ofrep/v1/evaluate/flags`,
      '{"context": {"targetingKey": "alice", "\\u005f_proto__": 1}}',
      json,
    );
    expect(escaped).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } });
    expect((escaped.body as { errorDetails: string }).errorDetails).toContain('context.__proto__');
    const outcome = await post(
      `${server.url}/v1/outcomes`,
      '{"backend": "lightrag", "success": true, "constructor": {"prototype": {"x": 1}}}',
      { ...json, authorization: `Bearer ${INGEST_TOKEN}` },
    );
    expect(outcome).toMatchObject({
      status: 400,
      body: { errorCode: 'INVALID_ARGUMENT' },
    });
    expect((outcome.body as { errorDetails: string }).errorDetails).toMatch(
      /^constructor\.prototype is a key flagroute refuses in any request/,
    );
    // constructor as a plain attribute stays allowed; broken JSON is PARSE_ERROR saying where.
    const allowed = await post(`${server.url}/ofrep/v1/evaluate/flags/backend`, {
      context: { targetingKey: 'alice', constructor: 'x' },
    });
    expect(allowed.status).toBe(200);
    const broken = await post(`${server.url}/v1/decide`, '{"userId": ', json);
    expect(broken).toMatchObject({
      status: 400,
      body: {
        errorCode: 'PARSE_ERROR',
        errorDetails:
          "malformed JSON body: the text ends where a value (an object, a list, a string in double quotes, a number, true, false or null) was expected after ':' at column 12",
      },
    });
    // V8's words quote the bytes around the fault, and a body can hold a secret: never echoed.
    for (const [route, body, said] of [
      [
        '/v1/decide',
        '{"userId": "a", "token": tok_live_9f8e7d}',
        "malformed JSON body: a word JSON does not know after ':': strings take double quotes, and the only words are true, false and null at column 26",
      ],
      [
        '/ofrep/v1/evaluate/flags',
        '{"context": {"targetingKey": "alice",\n "salt": "s3cr3t-salt" "x": 1}}',
        "malformed JSON body: expected ',' or '}' after a property value at line 2, column 24",
      ],
      [
        '/v1/outcomes',
        "{'token': 'tok_live_9f8e7d'}",
        'malformed JSON body: expected a property name (in double quotes, not single) at column 2',
      ],
    ] as const) {
      const refused = await post(`${server.url}${route}`, body, {
        ...json,
        authorization: `Bearer ${INGEST_TOKEN}`,
      });
      expect(refused).toMatchObject({ status: 400, body: { errorCode: 'PARSE_ERROR' } });
      const details = (refused.body as { errorDetails: string }).errorDetails;
      expect(details).toBe(said);
      expect(details).not.toMatch(/tok_|s3cr3t/);
    }
    const empty = await post(`${server.url}/v1/decide`, '', json);
    expect(empty).toMatchObject({
      status: 400,
      body: { errorCode: 'PARSE_ERROR', errorDetails: 'malformed JSON body: the body is empty' },
    });
  });
});

describe('a refused key where the body is no context', () => {
  it('is INVALID_ARGUMENT naming the key by its path, also under a key named attributes or context', async () => {
    const server = await developmentServer();
    const json = { 'content-type': 'application/json' };
    const bodies = [
      ['attributes.__proto__', '{"reason": "r", "attributes": {"__proto__": {"admin": true}}}'],
      ['context.__proto__', '{"reason": "r", "context": {"__proto__": 1}}'],
      ['attributes.constructor.prototype', '{"attributes": {"constructor": {"prototype": {}}}}'],
    ] as const;
    for (const [path, body] of bodies) {
      for (const [route, authorization] of [
        ['/v1/rollback', 'Bearer admin-token'],
        ['/v1/rollout/plan/pause', 'Bearer admin-token'],
        ['/v1/outcomes', `Bearer ${INGEST_TOKEN}`],
      ] as const) {
        const refused = await post(`${server.url}${route}`, body, { ...json, authorization });
        expect(refused.status, `${route} ${path}`).toBe(400);
        expect(refused.body, `${route} ${path}`).toEqual({
          errorCode: 'INVALID_ARGUMENT',
          errorDetails: `${path} is a key flagroute refuses in any request: copied into an object it could change that object's prototype; rename it`,
        });
      }
    }
    // Where the body is a context, the same key is INVALID_CONTEXT.
    const decide = await post(`${server.url}/v1/decide`, bodies[0][1], json);
    expect(decide.body).toMatchObject({
      errorCode: 'INVALID_CONTEXT',
      errorDetails: expect.stringContaining('attributes.__proto__ is a key flagroute refuses'),
    });
  });
});

describe("fastify's own JSON parser", () => {
  it('never reads a body: every spelling of the JSON media type reaches parseJsonBody, whose words quote nothing', async () => {
    const server = await developmentServer();
    const types = [
      'application/json',
      'Application/JSON',
      'application/json; charset=utf-8',
      'application/json ; charset="UTF-8"',
      'application/json;foo=bar',
    ];
    for (const type of types) {
      for (const [body, said] of [
        ['{"userId": tok_secret}', /^malformed JSON body: a word JSON does not know after ':'/],
        ['', /^malformed JSON body: the body is empty$/],
      ] as const) {
        const refused = await post(`${server.url}/v1/decide`, body, { 'content-type': type });
        expect(refused.status, type).toBe(400);
        const { errorCode, errorDetails } = refused.body as {
          errorCode: string;
          errorDetails: string;
        };
        expect([type, errorCode]).toEqual([type, 'PARSE_ERROR']);
        // fastify's parser says "Body is not valid JSON but content-type is set to ...".
        expect(errorDetails, type).toMatch(said);
      }
    }
  });
});
