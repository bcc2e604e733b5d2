import { describe, expect, it } from 'vitest';
import { userBucket } from '../../src/decision/bucket.js';
import { experimentEnv, tempConfigDir } from '../helpers/config-dir.js';
import { INGEST_TOKEN, testServer } from '../helpers/test-server.js';

const SALT = 'invalid-utf8-salt';

/** `josé` as Latin-1 bytes: the é is the single byte 0xE9, which is not UTF-8. */
const LATIN1_JOSE = (json: string) => Buffer.from(json, 'latin1');

async function serve() {
  const temp = await tempConfigDir({ 'environments/development.yaml': experimentEnv(SALT, 50) });
  return testServer({ configDir: temp.dir, watch: false, ingestToken: INGEST_TOKEN });
}

async function send(url: string, body: Uint8Array) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('a JSON body that is not UTF-8', () => {
  it('is a 400 PARSE_ERROR naming the first bad byte on every route, never read as U+FFFD into another user', async () => {
    const server = await serve();
    const bodies: [string, string, string][] = [
      ['/v1/decide', '{"userId":"jos\u00e9"}', 'column 15 (byte 15 of the body)'],
      ['/v1/explain', '{"userId":"jos\u00e9"}', 'column 15 (byte 15 of the body)'],
      [
        '/ofrep/v1/evaluate/flags/backend',
        '{"context":{"targetingKey":"jos\u00e9"}}',
        'column 32 (byte 32 of the body)',
      ],
      [
        '/ofrep/v1/evaluate/flags',
        '{\n  "context": {\n    "targetingKey": "Zo\u00eb"\n  }\n}',
        'line 3, column 24 (byte 41 of the body)',
      ],
      [
        '/v1/outcomes',
        '{"backend":"lightrag","success":true,"userId":"jos\u00e9"}',
        'column 51 (byte 51 of the body)',
      ],
    ];
    for (const [path, json, place] of bodies) {
      const answer = await send(`${server.url}${path}`, LATIN1_JOSE(json));
      expect(answer.status, path).toBe(400);
      const details = `malformed JSON body: not UTF-8 at ${place}; JSON is UTF-8 (RFC 8259): send the text encoded as UTF-8`;
      // OFREP's single-flag answer names the flag too.
      expect(answer.body, path).toMatchObject({ errorCode: 'PARSE_ERROR', errorDetails: details });
    }
    // The same name in UTF-8 is the user Python hashes; a body ending inside a character is refused.
    const right = await send(`${server.url}/v1/decide`, Buffer.from('{"userId":"jos\u00e9"}'));
    expect(right.status).toBe(200);
    expect(right.body.bucket).toBe(userBucket('jos\u00e9', SALT));
    const cut = Buffer.from('{"userId":"\u20ac"}').subarray(0, 13);
    const truncated = await send(`${server.url}/v1/decide`, cut);
    expect(truncated.body.errorDetails).toMatch(
      /^malformed JSON body: not UTF-8 at column 12 \(byte 12 of the body\)/,
    );
    // Encoded surrogates and overlong forms are not UTF-8 either.
    for (const bytes of [
      [0xed, 0xa0, 0x80],
      [0xc0, 0xaf],
      [0xf4, 0x90, 0x80, 0x80],
    ]) {
      const body = Buffer.concat([
        Buffer.from('{"userId":"a'),
        Buffer.from(bytes),
        Buffer.from('"}'),
      ]);
      const answer = await send(`${server.url}/v1/decide`, body);
      expect(answer.status).toBe(400);
      expect(answer.body.errorDetails).toMatch(/not UTF-8 at column 13 \(byte 13 of the body\)/);
    }
  });
});
