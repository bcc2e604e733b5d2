/**
 * What the HTTP bench sends: OFREP single-flag bodies of realistic traffic (a Zipf draw of users
 * over a million, with {@link realisticWorkload}'s queries, types and regions), as an OpenFeature
 * client sends them. The bench used to send one body, `user-42`, who is in control, so the
 * experiment arm's path over HTTP (the ledger's user, the decision token) was never timed.
 */
import { realisticWorkload } from './workloads.js';

/** The OFREP path of the single evaluation every run asks for. */
export const OFREP_PATH = '/ofrep/v1/evaluate/flags/backend';

/** `count` request bodies of a Zipf draw seeded with `seed` (one draw a round, the same for both servers). */
export function ofrepBodies(count: number, seed: number): string[] {
  return realisticWorkload(count, seed).map(({ userId, queryText, queryType, region }) =>
    JSON.stringify({ context: { targetingKey: userId, queryText, queryType, region } }),
  );
}

/** One HTTP/1.1 request with `body`, as the bytes a keep-alive connection writes. */
export function ofrepRequest(target: URL, body: string): Buffer {
  return Buffer.from(
    `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
