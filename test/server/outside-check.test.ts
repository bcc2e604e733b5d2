import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_ECHOED_CHARACTERS } from '../../src/config/schema-errors.js';
import { type CliProcess, startCli, waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { INGEST_TOKEN, post } from '../helpers/test-server.js';

// What an outside check of a real `flagroute serve` found (session 10): each case failed before
// its fix.

const SALT = 'outside-check-salt';
const ADMIN_TOKEN = 'outside-check-admin-token';
const BODY = `rollout_percentage: 50
enable_ab_testing: true
user_hash_salt: ${SALT}
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
`;
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
    const outcome = await post(
      `${url}/v1/outcomes`,
      { backend: 'perplexity', success: true },
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
});
