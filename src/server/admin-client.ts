import { ERROR_CODES, type ErrorCode, FlagrouteError } from '../errors.js';
import type { BreakerSnapshot } from '../safety/circuit-breaker.js';

/** Where a running `flagroute serve` is, and the admin token it was started with. */
export interface AdminClientOptions {
  /** The server's base URL, such as `http://127.0.0.1:8016`. */
  url: string;
  /** The server's `FLAGROUTE_ADMIN_TOKEN`. */
  token: string | undefined;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Time allowed for the request, in milliseconds. Default 10 s. */
  timeoutMs?: number;
}

function baseOf(url: string): URL {
  try {
    const base = new URL(url);
    if (base.protocol === 'http:' || base.protocol === 'https:') return base;
  } catch {
    // reported below
  }
  throw new FlagrouteError(
    'INVALID_ARGUMENT',
    `--url must be the server's http(s) URL, such as http://127.0.0.1:8016, got ${JSON.stringify(url)}`,
  );
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * POSTs to an admin route of a running server and returns its JSON answer. Throws a
 * {@link FlagrouteError}: `USAGE` without a token, `INVALID_ARGUMENT` for a URL that is not
 * one, the server's own code when it refuses (`FORBIDDEN`, `INVALID_ARGUMENT`, ...; its
 * `errorDetails` quoted), and `INVALID_DATA` when it cannot be reached or answers as no
 * flagroute server does.
 */
export async function adminPost(
  options: AdminClientOptions,
  path: string,
  body: Record<string, unknown> = {},
): Promise<unknown> {
  const base = baseOf(options.url);
  if (options.token === undefined || options.token === '') {
    throw new FlagrouteError(
      'USAGE',
      'set FLAGROUTE_ADMIN_TOKEN to the admin token the server was started with',
    );
  }
  const target = new URL(path, base);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(target, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new FlagrouteError(
      'INVALID_DATA',
      `flagroute at ${base.origin} cannot be reached: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const text = await response.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  if (!response.ok) {
    const details = (answer as { errorCode?: unknown; errorDetails?: unknown } | undefined) ?? {};
    const said =
      typeof details.errorDetails === 'string'
        ? `${String(details.errorCode)}: ${details.errorDetails}`
        : `status ${response.status}`;
    // The server's own code when it is one of flagroute's (a wrong token is FORBIDDEN, a bad
    // reason INVALID_ARGUMENT), so callers and exit codes branch on it; else the answer is not
    // one flagroute gives, which is INVALID_DATA.
    const code = isErrorCode(details.errorCode) ? details.errorCode : 'INVALID_DATA';
    throw new FlagrouteError(
      code,
      `flagroute at ${base.origin} refused ${target.pathname} (${response.status} ${said})`,
    );
  }
  if (answer === undefined) {
    throw new FlagrouteError(
      'INVALID_DATA',
      `flagroute at ${base.origin} answered ${target.pathname} with a body that is not JSON; is it a flagroute server?`,
    );
  }
  return answer;
}

/**
 * Closes the circuit breaker of a running server through its admin API
 * (`POST /v1/breaker/reset`) and returns the breaker as the server reports it afterwards. A
 * breaker is per process: behind a load balancer, reset each instance by its own URL.
 */
export async function resetRemoteBreaker(options: AdminClientOptions): Promise<BreakerSnapshot> {
  return (await adminPost(options, '/v1/breaker/reset')) as BreakerSnapshot;
}
