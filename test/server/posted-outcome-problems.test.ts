import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_ECHOED_CHARACTERS } from '../../src/config/schema-errors.js';
import { ERROR_CODES } from '../../src/errors.js';
import { unitKey } from '../../src/outcomes/index.js';
import { MAX_DISCARDED_BODY_BYTES } from '../../src/server/request-limits.js';
import { type CliProcess, startCli, waitFor } from '../helpers/cli-process.js';
import { experimentEnv, tempConfigDir } from '../helpers/config-dir.js';
import { parseMetrics } from '../helpers/prometheus-text.js';
import { INGEST_TOKEN, post, postOutcomes } from '../helpers/test-server.js';

const SALT = 'posted-outcome-problems-salt';
const BODY = experimentEnv(SALT, 50, 'shadow: { percentage: 100, max_per_second: 1000 }\n');

/** A real `flagroute serve` with the ingest token, decision tokens and an event log. */
async function serve(): Promise<{ process: CliProcess; url: string; events: string }> {
  const temp = await tempConfigDir({ 'environments/development.yaml': BODY });
  const events = join(temp.dir, 'events');
  const process = startCli(
    ['serve', '--config-dir', temp.dir, '--port', '0', '--events-dir', events],
    {
      env: {
        FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN,
        FLAGROUTE_DECISION_KEY: 'k1:the-decision-key-of-the-outcome-problems-test-0123',
      },
    },
  );
  const url = await waitFor(
    'the server to listen',
    () => /listening on (\S+)/.exec(process.output())?.[1],
  );
  return { process, url, events };
}

interface Refusal {
  errorCode: string;
  errorDetails: string;
  problems?: { index: number; field: string; message: string; reason?: string }[];
}

/** A decision of the server for `userId` that Perplexity served in the experiment (a shadow's). */
async function perplexityDecision(url: string, prefix: string) {
  for (let index = 0; index < 1000; index += 1) {
    const userId = `${prefix}-${index}`;
    const { body } = await post(`${url}/v1/decide`, { userId, requestId: `r-${index}` });
    const decision = body as { cohort: string; decisionId: string; decisionToken: string };
    if (decision.cohort === 'perplexity') return { userId, ...decision };
  }
  throw new Error('no user of 1,000 was in the perplexity arm');
}

describe('posted outcomes refused by a real flagroute serve', () => {
  it('a mistake inside shadow or preference is named by its path, with what is allowed: single, batch, by id and by token', async () => {
    const { url } = await serve();
    const { decisionId, decisionToken } = await perplexityDecision(url, 'nested');
    const served = { backend: 'perplexity', cohort: 'control', success: true };
    // The good item of a batch names its decision: this server holds a decision key.
    const good = {
      decisionToken: (await perplexityDecision(url, 'good')).decisionToken,
      success: true,
    };
    const cases: [Record<string, unknown>, string][] = [
      [
        { ...served, shadow: { latencyMs: 5 } },
        'outcome.shadow.success is required: true or false',
      ],
      [
        { ...served, shadow: { success: true }, preference: { winner: 'tie' } },
        'outcome.preference.judge is required: a name of 1 to 128 characters',
      ],
      [
        { ...served, shadow: { success: true }, preference: { winner: 'maybe', judge: 'j' } },
        'outcome.preference.winner must be "lightrag", "perplexity" or "tie", got "maybe"',
      ],
      [
        { ...served, shadow: { success: true, satisfaction: 1 } },
        'outcome.shadow.satisfaction is not a field of outcome.shadow; use success, latencyMs, quality, costUsd',
      ],
      [
        { ...served, shadow: { success: true, latencyMs: -1 } },
        'outcome.shadow.latencyMs must be a number of milliseconds from 0 to 3600000 (one hour), got -1',
      ],
      [
        { ...served, shadow: { success: true }, preference: { winner: 'tie', judge: '' } },
        'outcome.preference.judge must be a name of 1 to 128 characters, got ""',
      ],
      [{ ...served, shadow: 'yes' }, 'outcome.shadow must be an object with success'],
      [
        { decisionId, success: true, shadow: { quality: 0.5 } },
        'outcome.shadow.success is required: true or false',
      ],
      [
        { decisionToken, success: true, shadow: { success: true }, preference: { judge: 'j' } },
        'outcome.preference.winner is required: "lightrag", "perplexity" or "tie"',
      ],
    ];
    for (const [outcome, expected] of cases) {
      const field = expected.split(' ')[0];
      const single = await postOutcomes(`${url}/v1/outcomes`, outcome);
      expect(single.status, expected).toBe(400);
      const [alone] = (single.body as Refusal).problems!;
      expect(alone).toMatchObject({ index: 0, field });
      expect(alone!.message).toContain(expected);
      // In a batch, the same words at the item's index; the good item is not recorded either.
      const batch = await postOutcomes(`${url}/v1/outcomes`, [good, outcome]);
      expect(batch.body).toMatchObject({ errorCode: 'INVALID_OUTCOME' });
      const [problem] = (batch.body as Refusal).problems!;
      expect(problem).toMatchObject({ index: 1, field });
      expect(problem!.message).toContain(expected);
    }
  });

  it('echoes no unbounded client input: a long judge, decision id, unknown key, flag key or URL is cut and its length said', async () => {
    const { url } = await serve();
    const long = 'J'.repeat(200);
    const judged = await postOutcomes(`${url}/v1/outcomes`, {
      backend: 'perplexity',
      cohort: 'control',
      success: true,
      shadow: { success: true },
      preference: { winner: 'tie', judge: long },
    });
    const details = (judged.body as Refusal).problems![0]!.message;
    expect(details).toContain('outcome.preference.judge must be a name of 1 to 128 characters');
    expect(details).toContain('(200 characters)');
    expect(details).toContain('J'.repeat(MAX_ECHOED_CHARACTERS));
    expect(details).not.toContain('J'.repeat(MAX_ECHOED_CHARACTERS + 1));

    const answers = [
      await postOutcomes(`${url}/v1/outcomes`, { decisionId: 'd'.repeat(5000), success: true }),
      await postOutcomes(`${url}/v1/outcomes`, { success: true, ['k'.repeat(5000)]: 1 }),
      await post(`${url}/v1/decide`, { userId: 'u', ['k'.repeat(5000)]: 1 }),
      await post(`${url}/ofrep/v1/evaluate/flags/${'f'.repeat(5000)}`, { context: {} }),
      await post(`${url}/ofrep/v1/evaluate/flags/${'f'.repeat(90)}`, { context: {} }),
      await post(`${url}/ofrep/v1/evaluate/flags/%zz${'f'.repeat(5000)}`, { context: {} }),
      await post(`${url}/v1/${'p'.repeat(5000)}`, {}),
      await post(`${url}/v1/decide`, `{"${'k'.repeat(5000)}": {"__proto__": 1}}`, {
        'content-type': 'application/json',
      }),
      await fetch(`${url}/v1/experiment?${'q'.repeat(5000)}=1`).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as unknown,
      })),
    ];
    for (const answer of answers) {
      const text = JSON.stringify(answer.body);
      expect(answer.status, text.slice(0, 200)).toBeGreaterThanOrEqual(400);
      expect(answer.status, text.slice(0, 200)).toBeLessThan(500);
      expect(ERROR_CODES).toContain((answer.body as Refusal).errorCode);
      // At most the first 64 characters of what was sent, and never the whole of it.
      expect(text, text.slice(0, 200)).not.toMatch(/([a-z])\1{64}/);
      expect(text.length).toBeLessThan(1500);
    }
  });

  it('an outcome tied by decision id for another user is refused and counted, as by token; one naming no user counts for the decision user', async () => {
    const { process, url, events } = await serve();
    const alice = await perplexityDecision(url, 'alice');
    const mallory = await postOutcomes(`${url}/v1/outcomes`, {
      decisionId: alice.decisionId,
      userId: 'mallory',
      success: true,
    });
    expect(mallory.status).toBe(400);
    expect(mallory.body).toMatchObject({
      errorCode: 'INVALID_OUTCOME',
      problems: [
        {
          index: 0,
          field: 'userId',
          message: 'userId is not the user the decision was made for',
          reason: 'user_mismatch',
        },
      ],
    });
    const byToken = await postOutcomes(`${url}/v1/outcomes`, {
      decisionToken: alice.decisionToken,
      userId: 'mallory',
      success: true,
    });
    expect(byToken.body).toMatchObject({
      problems: [{ field: 'userId', reason: 'user_mismatch' }],
    });
    const metrics = parseMetrics(await fetch(`${url}/metrics`).then((response) => response.text()));
    expect(metrics.get('flagroute_outcomes_refused_total')!.metrics).toEqual([
      { labels: { reason: 'user_mismatch' }, value: '2' },
    ]);
    // Refused whole: the id still takes its one outcome, for its own user.
    const own = await postOutcomes(`${url}/v1/outcomes`, {
      decisionId: alice.decisionId,
      userId: alice.userId,
      success: true,
    });
    expect(own).toMatchObject({ status: 200, body: { recorded: 1 } });

    // By id without a userId: the outcome event log has the decision's user's unit.
    const bob = await perplexityDecision(url, 'bob');
    const unnamed = await postOutcomes(`${url}/v1/outcomes`, {
      decisionId: bob.decisionId,
      success: false,
    });
    expect(unnamed).toMatchObject({ status: 200, body: { recorded: 1 } });
    const line = await waitFor('the outcome line of the unnamed outcome', async () => {
      const names = await readdir(events).catch(() => []);
      for (const name of names) {
        const text = await readFile(join(events, name), 'utf8');
        const found = text
          .split('\n')
          .filter((each) => each.includes(bob.decisionId))
          .map((each) => JSON.parse(each) as { unit?: string });
        if (found.length > 0) return found[0];
      }
      return undefined;
    });
    expect(line.unit).toBe(unitKey(bob.userId, SALT));
    expect(await process.stop()).toBe(0);
  });

  it('a body over the limit sent whole without Expect gets the 413 with the limit, never a reset; the connection then serves on', async () => {
    const { url } = await serve();
    const port = Number(new URL(url).port);
    const { answers, writeError } = await sendWhole(port, 16 * 1024 * 1024);
    expect(writeError).toBeUndefined();
    expect(answers.map((answer) => answer.status)).toEqual([413, 200]);
    expect(JSON.parse(answers[0]!.body)).toEqual({
      errorCode: 'PAYLOAD_TOO_LARGE',
      errorDetails:
        'the body is larger than this server takes: at most 65536 bytes (64 KiB); send the batch of outcomes in several posts',
    });
    // A client that keeps sending far beyond the limit is cut off: the drain is bounded.
    const endless = await sendWhole(port, MAX_DISCARDED_BODY_BYTES + 8 * 1024 * 1024);
    expect(endless.answers.map((answer) => answer.status)).toEqual([413]);
    expect(endless.writeError).toBeDefined();
  });
});

interface WholeAnswer {
  /** The answers that came back whole, in order: status and body. */
  answers: { status: number; body: string }[];
  /** The error a write met, if the server reset the connection. */
  writeError: string | undefined;
}

/** The answers whole in `text`, read one after the other by their Content-Length. */
function answersIn(text: string): WholeAnswer['answers'] {
  const answers: WholeAnswer['answers'] = [];
  let at = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) return answers;
    const head = text.slice(at, end);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    if (text.length < end + 4 + length) return answers;
    const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
    answers.push({ status, body: text.slice(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
}

/**
 * Sends a POST of `size` bytes as a client without `Expect: 100-continue` does (curl with
 * `-H 'Expect:'`): the whole body, each write waited for, then a second request on the same
 * connection; resolves once both are answered or the connection closed. A write the server
 * reset is reported, not thrown.
 */
function sendWhole(port: number, size: number): Promise<WholeAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let writeError: string | undefined;
    const done = () => resolve({ answers: answersIn(received), writeError });
    socket.on('data', (chunk) => {
      received += chunk.toString();
      if (answersIn(received).length === 2) socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      writeError ??= error.code ?? error.message;
    });
    socket.on('close', done);
    socket.write(
      `POST /v1/outcomes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${INGEST_TOKEN}\r\nContent-Length: ${size}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < size && !socket.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += part.length;
        if (!socket.write(part)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (!socket.destroyed) socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    };
    pump();
  });
}
