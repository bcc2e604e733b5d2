import { readdir, readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_ECHOED_CHARACTERS } from '../../src/config/schema-errors.js';
import { userBucket } from '../../src/decision/bucket.js';
import { unitKey } from '../../src/outcomes/index.js';
import { MAX_BODY_DEPTH } from '../../src/server/json-body.js';
import { type CliProcess, startCli, waitFor } from '../helpers/cli-process.js';
import { experimentEnv, tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';
import { INGEST_TOKEN, post, postOutcomes } from '../helpers/test-server.js';

// What an outside check of a real `flagroute serve` found (session 10): each case failed before
// its fix.

const SALT = 'outside-check-salt';
const ADMIN_TOKEN = 'outside-check-admin-token';
const BODY = experimentEnv(SALT, 50);
const ENVIRONMENT_FILE = 'environments/development.yaml';

interface Served {
  process: CliProcess;
  url: string;
  dir: string;
  events: string;
}

/** A real `flagroute serve` with the admin and ingest tokens, decision tokens and an event log. */
async function serve(): Promise<Served> {
  const temp = await tempConfigDir({ [ENVIRONMENT_FILE]: BODY });
  const events = join(temp.dir, 'events');
  const process = startCli(
    ['serve', '--config-dir', temp.dir, '--port', '0', '--events-dir', events],
    {
      env: {
        FLAGROUTE_ADMIN_TOKEN: ADMIN_TOKEN,
        FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN,
        FLAGROUTE_DECISION_KEY: 'k1:the-decision-key-of-the-outside-check-test-0123456',
      },
    },
  );
  const url = await waitFor(
    'the server to listen',
    () => /listening on (\S+)/.exec(process.output())?.[1],
  );
  return { process, url, dir: temp.dir, events };
}

interface Refusal {
  errorCode: string;
  errorDetails: string;
  problems?: { index: number; field: string; message: string; reason?: string }[];
}

interface DecisionAnswer {
  cohort: string;
  backend: string;
  decisionId: string;
  decisionToken: string;
}

async function decide(url: string, context: Record<string, unknown>): Promise<DecisionAnswer> {
  const { status, body } = await post(`${url}/v1/decide`, context);
  expect(status).toBe(200);
  return body as DecisionAnswer;
}

/** The outcome event log's lines so far (each process writes files of its own). */
async function eventLines(events: string): Promise<Record<string, unknown>[]> {
  const files = await readdir(events).catch(() => [] as string[]);
  const lines: Record<string, unknown>[] = [];
  for (const file of files.filter((name) => name.startsWith('outcomes-'))) {
    const text = await readFile(join(events, file), 'utf8');
    for (const line of text.split('\n')) if (line !== '') lines.push(JSON.parse(line));
  }
  return lines;
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('an outside check of a real flagroute serve', () => {
  it('an admin percentage or a query complexity of the wrong kind is shown bounded and quoted, never echoed whole', async () => {
    const { url, dir } = await serve();
    const before = await readFile(join(dir, ENVIRONMENT_FILE), 'utf8');
    const long = 'A'.repeat(3000);
    const cases: [unknown, string][] = [
      [long, `got "${'A'.repeat(MAX_ECHOED_CHARACTERS)}"… (3000 characters)`],
      ['30', 'got "30"'],
      [{ a: 1 }, 'got a mapping'],
      [[1, 2], 'got a list'],
      [undefined, 'rollout percentage is required: a number from 0 to 100'],
    ];
    for (const [percentage, words] of cases) {
      const { status, body } = await post(`${url}/v1/rollout`, { percentage, reason: 'x' }, admin);
      expect(status).toBe(400);
      const refusal = body as Refusal;
      expect(refusal.errorCode).toBe('INVALID_ARGUMENT');
      expect(refusal.errorDetails).toContain(words);
      expect(refusal.errorDetails.length).toBeLessThan(200);
    }
    expect(await readFile(join(dir, ENVIRONMENT_FILE), 'utf8')).toBe(before);

    for (const [path, body] of [
      ['/v1/decide', { userId: 'a', queryComplexity: long }],
      ['/ofrep/v1/evaluate/flags', { context: { targetingKey: 'a', queryComplexity: long } }],
    ] as const) {
      const answer = await post(`${url}${path}`, body);
      expect(answer.status).toBe(400);
      const refusal = answer.body as Refusal;
      expect(refusal.errorCode).toBe('INVALID_CONTEXT');
      expect(refusal.errorDetails).toContain(
        `queryComplexity must be a finite number of at least 0, got "${'A'.repeat(MAX_ECHOED_CHARACTERS)}"… (3000 characters)`,
      );
    }
  });

  it('/v1/experiment names a bad option as the query wrote it (srm_threshold), with what it takes', async () => {
    const { url } = await serve();
    const response = await fetch(`${url}/v1/experiment?srm_threshold=2`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errorCode: 'INVALID_ARGUMENT',
      errorDetails: 'srm_threshold must be between 0 and 1, got 2',
    });
    // Number() read 0x10 as 16 (and 0b1 as 1): a setting is written in decimal.
    const hexadecimal: [string, string][] = [
      ['alpha=0x10', '0x10'],
      ['treatment_share=0b1', '0b1'],
    ];
    for (const [query, text] of hexadecimal) {
      const refused = await fetch(`${url}/v1/experiment?${query}`);
      expect(refused.status, query).toBe(400);
      const name = query.split('=')[0];
      expect(await refused.json()).toEqual({
        errorCode: 'INVALID_ARGUMENT',
        errorDetails: `${name} must be a number, got "${text}"`,
      });
    }
    expect((await fetch(`${url}/v1/experiment?alpha=1e-2`)).status).toBe(200);
  });

  it('a reason with a line separator or a bidirectional override is refused, and nothing changes', async () => {
    const { url, dir } = await serve();
    const before = await readFile(join(dir, ENVIRONMENT_FILE), 'utf8');
    const cases: [string, string][] = [
      [
        'error\u2028spike',
        'reason contains the line separator U+2028; give one line of plain text',
      ],
      [
        'error\u2029spike',
        'reason contains the line separator U+2029; give one line of plain text',
      ],
      [
        'approved \u202Edesrever',
        'reason contains the bidirectional control U+202E, which reorders how text shows; give plain text',
      ],
      [
        'isolated \u2066text\u2069',
        'reason contains the bidirectional control U+2066, which reorders how text shows; give plain text',
      ],
    ];
    for (const [reason, message] of cases) {
      for (const [path, extra] of [
        ['/v1/rollback', {}],
        ['/v1/rollout', { percentage: 20 }],
      ] as const) {
        const { status, body } = await post(`${url}${path}`, { reason, ...extra }, admin);
        expect(status, path).toBe(400);
        expect(body).toEqual({ errorCode: 'INVALID_ARGUMENT', errorDetails: message });
      }
    }
    expect(await readFile(join(dir, ENVIRONMENT_FILE), 'utf8')).toBe(before);
    // A right-to-left language is text like any other.
    const hebrew = await post(`${url}/v1/rollout`, { percentage: 20, reason: 'שלב 2' }, admin);
    expect(hebrew.status).toBe(200);
  });

  it('the bearer scheme is case-insensitive, as HTTP has it; a wrong token is still refused', async () => {
    const { url } = await serve();
    for (const authorization of [`bearer ${ADMIN_TOKEN}`, `BEARER ${ADMIN_TOKEN}`]) {
      const { status } = await post(`${url}/v1/breaker/reset`, {}, { authorization });
      expect(status, authorization).toBe(200);
    }
    const { decisionToken } = (await post(`${url}/v1/decide`, { userId: 'bearer' })).body as {
      decisionToken: string;
    };
    const outcome = await post(
      `${url}/v1/outcomes`,
      { decisionToken, success: true },
      { authorization: `bearer ${INGEST_TOKEN}` },
    );
    expect(outcome.status).toBe(200);
    expect(
      (await post(`${url}/v1/breaker/reset`, {}, { authorization: 'bearer nope' })).status,
    ).toBe(403);
    expect(
      (await post(`${url}/v1/breaker/reset`, {}, { authorization: `Basic ${ADMIN_TOKEN}` })).status,
    ).toBe(401);
  });

  it('an outcome by id naming a cohort its decision did not assign is refused, as by token; one naming no decision says what it needs', async () => {
    const { url, events } = await serve();
    const decision = await decide(url, { userId: 'cohort-check' });
    const other = decision.cohort === 'lightrag' ? 'control' : 'lightrag';
    const expected = {
      index: 0,
      field: 'decision.cohort',
      message: `decision.cohort is "${other}" but the decision assigned "${decision.cohort}"`,
    };
    for (const tie of [
      { decisionId: decision.decisionId },
      { decisionToken: decision.decisionToken },
    ]) {
      const { status, body } = await postOutcomes(`${url}/v1/outcomes`, {
        ...tie,
        cohort: other,
        success: true,
      });
      expect(status).toBe(400);
      expect((body as Refusal).problems).toEqual([expected]);
    }
    // Nothing was recorded: the decision still takes its outcome, with its own cohort.
    const right = await postOutcomes(`${url}/v1/outcomes`, {
      decisionId: decision.decisionId,
      cohort: decision.cohort,
      success: true,
    });
    expect(right.body).toEqual({ recorded: 1, duplicates: 0 });
    const lines = await waitFor('the outcome in the event log', async () => {
      const found = await eventLines(events);
      return found.length > 0 ? found : undefined;
    });
    expect(lines.map((line) => line.cohort)).toEqual([decision.cohort]);

    const { status, body } = await postOutcomes(`${url}/v1/outcomes`, { success: true });
    expect(status).toBe(400);
    expect((body as Refusal).problems).toEqual([
      {
        index: 0,
        field: 'decision.backend',
        message:
          'decision.backend is required without a decisionId or a decisionToken: "lightrag" or "perplexity", the backend that served the query',
      },
    ]);
  });

  it("an empty userId is no user, as for the bucket: the decision is its sessionId's, by id and by token, and two such sessions are two units", async () => {
    const { url, events } = await serve();
    const sessions = ['session-one', 'session-two', 'session-three'];
    const decisions = [];
    for (const sessionId of sessions) {
      decisions.push(await decide(url, { userId: '', sessionId }));
    }
    // The session's own id is the decision's user: refused before as user_mismatch.
    const byId = await postOutcomes(`${url}/v1/outcomes`, {
      decisionId: decisions[0]!.decisionId,
      userId: 'session-one',
      success: true,
    });
    expect(byId.body).toEqual({ recorded: 1, duplicates: 0 });
    const byToken = await postOutcomes(`${url}/v1/outcomes`, {
      decisionToken: decisions[1]!.decisionToken,
      userId: 'session-two',
      success: true,
    });
    expect(byToken.body).toEqual({ recorded: 1, duplicates: 0 });
    // Without a userId the outcome counts for the decision's user: the session, not "".
    const unnamed = await postOutcomes(`${url}/v1/outcomes`, {
      decisionId: decisions[2]!.decisionId,
      success: true,
    });
    expect(unnamed.body).toEqual({ recorded: 1, duplicates: 0 });
    const lines = await waitFor('three outcomes in the event log', async () => {
      const found = await eventLines(events);
      return found.length === 3 ? found : undefined;
    });
    expect(new Set(lines.map((line) => line.unit))).toEqual(
      new Set(sessions.map((session) => unitKey(session, SALT))),
    );
    // Another user is still refused.
    const another = await decide(url, { userId: '', sessionId: 'session-four' });
    const refused = await postOutcomes(`${url}/v1/outcomes`, {
      decisionId: another.decisionId,
      userId: 'session-one',
      success: true,
    });
    expect((refused.body as Refusal).problems?.[0]?.reason).toBe('user_mismatch');
  });

  it('a body nested deeper than 64 levels is refused naming where, never a 500 or a long walk; brackets in a string do not count', async () => {
    const { url } = await serve();
    const list = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const object = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const send = async (path: string, text: string) => {
      const headers = {
        'content-type': 'application/json',
        ...(path === '/v1/outcomes' ? { authorization: `Bearer ${INGEST_TOKEN}` } : {}),
      };
      return post(`${url}${path}`, text, headers);
    };
    const why = `nests objects and lists more than ${MAX_BODY_DEPTH} levels deep, more than flagroute reads anywhere; send flatter data`;
    const cases: [string, string, string][] = [
      // A \u escape made the refused-key check walk it: 1.2 s of a blocked event loop at 3,000 levels, a 500 beyond.
      ['/v1/decide', `{"userId":"\\u0041","attributes":{"x":${list(3000)}}}`, 'INVALID_CONTEXT'],
      ['/v1/decide', `{"userId":"a","attributes":{"x":${list(8000)}}}`, 'INVALID_CONTEXT'],
      // The bulk evaluation's ETag hashes the context's stable JSON: a 500 at 4,000 levels.
      [
        '/ofrep/v1/evaluate/flags',
        `{"context":{"targetingKey":"a","x":${object(4000)}}}`,
        'INVALID_CONTEXT',
      ],
      ['/v1/outcomes', list(20000), 'INVALID_ARGUMENT'],
    ];
    for (const [path, text, code] of cases) {
      const { status, body } = await send(path, text);
      expect(status, path).toBe(400);
      const refusal = body as Refusal;
      expect(refusal.errorCode, path).toBe(code);
      expect(refusal.errorDetails, path).toContain(why);
      expect(refusal.errorDetails.length, path).toBeLessThan(400);
    }
    // 64 levels are read as before, and a query of brackets is text.
    const deepest = `{"context":{"targetingKey":"a","x":${object(MAX_BODY_DEPTH - 2)}}}`;
    expect((await send('/ofrep/v1/evaluate/flags', deepest)).status).toBe(200);
    const text = JSON.stringify({ userId: 'a', queryText: `${'['.repeat(2000)}"{`.repeat(2) });
    expect((await send('/v1/decide', text)).status).toBe(200);
  });

  it('a JSON body in another charset than UTF-8 is refused (415), never read as UTF-8 into another user', async () => {
    const { url } = await serve();
    const send = (charset: string, body: Uint8Array) =>
      fetch(`${url}/v1/decide`, {
        method: 'POST',
        headers: { 'content-type': `application/json; charset=${charset}` },
        body,
      });
    const latin1 = new Uint8Array(Buffer.from('{"userId":"jos\u00e9"}', 'latin1'));
    const refused = await send('ISO-8859-1', latin1);
    expect(refused.status).toBe(415);
    expect(await refused.json()).toEqual({
      errorCode: 'UNSUPPORTED_MEDIA_TYPE',
      errorDetails:
        'send JSON in UTF-8 (Content-Type: application/json, with charset=utf-8 or none), got charset=iso-8859-1',
    });
    const utf8 = new Uint8Array(Buffer.from('{"userId":"jos\u00e9"}', 'utf8'));
    for (const charset of ['utf-8', 'UTF-8', '"utf-8"']) {
      const answer = await send(charset, utf8);
      expect(answer.status, charset).toBe(200);
      expect(((await answer.json()) as { bucket: number }).bucket).toBe(
        userBucket('jos\u00e9', SALT),
      );
    }
  });

  it('a compressed body is 415 saying so, and a byte order mark is named, instead of JSON words about bytes no one sees', async () => {
    const { url } = await serve();
    const json = '{"userId":"a"}';
    const gzipped = await fetch(`${url}/v1/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: new Uint8Array(gzipSync(json)),
    });
    expect(gzipped.status).toBe(415);
    expect(await gzipped.json()).toEqual({
      errorCode: 'UNSUPPORTED_MEDIA_TYPE',
      errorDetails: 'send the body uncompressed (no Content-Encoding), got Content-Encoding: gzip',
    });
    const marked = await post(`${url}/v1/decide`, `\uFEFF${json}`, {
      'content-type': 'application/json',
    });
    expect(marked.status).toBe(400);
    expect(marked.body).toEqual({
      errorCode: 'PARSE_ERROR',
      errorDetails:
        'malformed JSON body: the text starts with a byte order mark (U+FEFF); write JSON without one at column 1',
    });
    const identity = await fetch(`${url}/v1/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
      body: json,
    });
    expect(identity.status).toBe(200);
  });

  it('/dashboard/ is the dashboard (a redirect), and an unknown dashboard file is named within the echo bound', async () => {
    const { url } = await serve();
    const slash = await fetch(`${url}/dashboard/`, { redirect: 'manual' });
    expect(slash.status).toBe(308);
    expect(slash.headers.get('location')).toBe('/dashboard');
    const followed = await fetch(`${url}/dashboard/`);
    expect(followed.status).toBe(200);
    expect(await followed.text()).toContain('<title>flagroute');
    const name = 'x'.repeat(90);
    const missing = await fetch(`${url}/dashboard/${name}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      errorCode: 'NOT_FOUND',
      errorDetails: `no dashboard file "${'x'.repeat(MAX_ECHOED_CHARACTERS)}"… (90 characters)`,
    });
  });

  it('serve, serve --controller and controller take a relative --config-dir, as every other command does', async () => {
    const temp = await tempConfigDir({ [ENVIRONMENT_FILE]: BODY });
    const [parent, name] = [dirname(temp.dir), basename(temp.dir)];
    const server = startCli(
      ['serve', '--config-dir', name, '--port', '0', '--controller', '--metrics', 'router'],
      { cwd: parent, env: { FLAGROUTE_ADMIN_TOKEN: ADMIN_TOKEN } },
    );
    const url = await waitFor(
      'the server to listen',
      () =>
        /listening on (\S+)/.exec(server.output())?.[1] ??
        (server.child.exitCode !== null ? server.output() : undefined),
    );
    expect(url, url).toMatch(/^http:/);
    expect((await post(`${url}/v1/decide`, { userId: 'a' })).status).toBe(200);
    const rollback = await post(`${url}/v1/rollback`, { reason: 'relative dir' }, admin);
    expect(rollback.status).toBe(200);
    expect(await readFile(join(temp.dir, ENVIRONMENT_FILE), 'utf8')).toContain('relative dir');
    expect(await server.stop('SIGTERM')).toBe(0);
    const once = await runCli(
      ['controller', '--config-dir', name, '--metrics', `events=${name}`, '--once'],
      {
        cwd: parent,
      },
    );
    expect(once.stderr).not.toContain('does not exist');
    expect(once.stdout).toContain('rollout plan of development:');
    expect(once.code).toBe(0);
  });

  it("the standalone controller's endpoint answers an unknown route in flagroute's shape, the path cut, and another method of its routes 405", async () => {
    const temp = await tempConfigDir({ [ENVIRONMENT_FILE]: BODY });
    const controller = startCli([
      'controller',
      '--config-dir',
      temp.dir,
      '--metrics',
      `events=${temp.dir}`,
      '--port',
      '0',
      '--interval',
      '1h',
    ]);
    const url = await waitFor(
      'the controller to listen',
      () => /\/metrics at (http:\/\/\S+?)"/.exec(controller.output())?.[1],
    );
    const path = `/${'p'.repeat(90)}`;
    const response = await fetch(`${url}${path}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      errorCode: 'NOT_FOUND',
      errorDetails: `no route GET ${path.slice(0, MAX_ECHOED_CHARACTERS)}… (91 characters)`,
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // Its routes asked with another method: 405, saying which methods they take.
    const posted = await fetch(`${url}/metrics`, { method: 'POST' });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET, HEAD');
    expect(await posted.json()).toEqual({
      errorCode: 'METHOD_NOT_ALLOWED',
      errorDetails: 'POST is not a method of /metrics; use GET, HEAD',
    });
  });

  it('the controller flags show their defaults as durations the flags take, not milliseconds they refuse', async () => {
    for (const command of ['controller', 'serve']) {
      const { stdout } = await runCli([command, '--help']);
      const help = stdout.replace(/\s+/g, ' ');
      expect(help, command).toContain('time between looks at the plan (default: 1m)');
      expect(help, command).toContain('a standby takes over after it (default: 30s)');
    }
    const serveHelp = (await runCli(['serve', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(serveHelp).toContain('how long a decision token takes its outcome (default: 1h)');
    const planHelp = (await runCli(['rollout', 'plan', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(planHelp).toContain('wait for it to apply the command (0: do not wait) (default: 10s)');
    const temp = await tempConfigDir({ [ENVIRONMENT_FILE]: BODY });
    const once = await runCli([
      'controller',
      '--config-dir',
      temp.dir,
      '--metrics',
      'router',
      '--once',
      '--interval',
      '1m',
      '--lease-ttl',
      '30s',
    ]);
    expect(once.stderr).not.toContain('must be a duration');
  });

  it('a second signal during the shutdown is logged and ends the process at once, instead of killing it without a word', async () => {
    const { process, url } = await serve();
    // A request that has not arrived whole holds the shutdown (up to its 5 s drain): once the
    // server has answered 100 Continue, it has the request, and half of its body follows.
    const { port } = new URL(url);
    const socket: Socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\nExpect: 100-continue\r\n\r\n',
    );
    await waitFor('the server to take the request', () => received.includes('100 Continue'));
    socket.write('{"userId":');
    const messages = () => process.logs().map((line) => String(line.msg));
    process.child.kill('SIGTERM');
    await waitFor('the first signal to be logged', () =>
      messages().some((message) => message.startsWith('SIGTERM received: shutting down')),
    );
    process.child.kill('SIGINT');
    const code = await process.exited;
    socket.destroy();
    expect(code).toBe(130);
    expect(messages()).toContain(
      'SIGINT received again while shutting down: exiting now, without waiting for requests in flight, the outcome event log',
    );
  });
});
