import { type RunningServer, type ServeOptions, serve } from '../../src/server/serve.js';
import { onTestEnd } from './cleanup.js';
import { silentLogger } from './silent-logger.js';

/** `serve` on a free loopback port, closed when the test ends. */
export async function testServer(options: ServeOptions): Promise<RunningServer> {
  const server = await serve({ port: 0, env: {}, logger: silentLogger(), ...options });
  onTestEnd(() => server.close());
  return server;
}

/** POSTs JSON (or raw text with its own content type) and returns status, headers and body. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const raw = typeof body === 'string' && headers['content-type'] !== undefined;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw ? (body as string) : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : JSON.parse(text),
  };
}

/** The ingest token of test servers that take outcomes (`ingestToken: INGEST_TOKEN`). */
export const INGEST_TOKEN = 'ingest-token-of-the-tests';

/** POSTs outcomes with the ingest token {@link INGEST_TOKEN} (see {@link post}). */
export function postOutcomes(url: string, body: unknown) {
  return post(url, body, { authorization: `Bearer ${INGEST_TOKEN}` });
}
