import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import { experimentEnv } from '../helpers/config-dir.js';
import { routerIn } from '../helpers/test-router.js';

const ENV = 'environments/development.yaml';
/** What every route says of an id whose second UTF-16 unit is a lone high surrogate. */
const NOT_UNICODE =
  'contains a lone UTF-16 surrogate (\\ud800 at UTF-16 offset 1), which is not Unicode: it has no UTF-8 form, so it cannot be stored or hashed as the same user elsewhere; send valid Unicode';
const JSON_BODY = { 'content-type': 'application/json' };

async function setUp() {
  const { router } = await routerIn({ [ENV]: experimentEnv('surrogate-salt', 50) });
  return createServer(router, { anonymousOutcomes: true });
}

/** A body as JSON text with the id's lone surrogate escaped, as a client's JSON carries it. */
function text(body: unknown): string {
  return JSON.stringify(body).replaceAll('\ud800', '\\ud800');
}

describe('a user id with a lone surrogate', () => {
  it('is refused with the same words on /v1/decide, OFREP and /v1/outcomes, named as each caller wrote it', async () => {
    const server = await setUp();
    const send = (url: string, body: unknown) =>
      server.inject({ method: 'POST', url, headers: JSON_BODY, payload: text(body) });
    const id = 'a\ud800b';
    const contexts: [string, unknown, string][] = [
      ['/v1/decide', { userId: id }, 'userId'],
      ['/v1/decide', { sessionId: id }, 'sessionId'],
      ['/v1/explain', { userId: id }, 'userId'],
      [
        '/ofrep/v1/evaluate/flags/backend',
        { context: { targetingKey: id } },
        'context.targetingKey',
      ],
      ['/ofrep/v1/evaluate/flags', { context: { targetingKey: id } }, 'context.targetingKey'],
      ['/ofrep/v1/evaluate/flags', { context: { targetingKey: 'a', sessionId: id } }, 'sessionId'],
    ];
    for (const [url, body, field] of contexts) {
      const answer = await send(url, body);
      expect(answer.statusCode, url).toBe(400);
      expect(answer.json(), url).toMatchObject({
        errorCode: 'INVALID_CONTEXT',
        errorDetails: `invalid routing context: ${field} ${NOT_UNICODE}`,
      });
    }
    const decided = await send('/v1/decide', { userId: 'alice' });
    const { decisionId } = decided.json() as { decisionId: string };
    const outcomes: unknown[] = [
      { backend: 'lightrag', success: true, userId: id },
      { decisionId, success: true, userId: id },
      [
        { backend: 'perplexity', success: true },
        { backend: 'lightrag', success: true, userId: id },
      ],
    ];
    for (const body of outcomes) {
      const answer = await send('/v1/outcomes', body);
      expect(answer.statusCode).toBe(400);
      const index = Array.isArray(body) ? 1 : 0;
      expect(answer.json().errorCode).toBe('INVALID_OUTCOME');
      expect(answer.json().problems).toEqual([
        { index, field: 'outcome.userId', message: `outcome.userId ${NOT_UNICODE}` },
      ]);
    }
    // Nothing was recorded: the decision still takes its outcome, and a well-formed pair is fine.
    const right = await send('/v1/outcomes', { decisionId, success: true, userId: 'alice' });
    expect(right.json()).toEqual({ recorded: 1, duplicates: 0 });
    const astral = await send('/v1/decide', { userId: 'user-\ud83d\ude00' });
    expect(astral.statusCode).toBe(200);
  });
});
