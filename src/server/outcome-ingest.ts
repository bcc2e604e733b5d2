import { InvalidArgumentError } from '../errors.js';

/**
 * Who may post outcomes over HTTP: clients showing `token` (`FLAGROUTE_INGEST_TOKEN`), or, with
 * `anonymous`, anyone (their outcomes act on this process only: see `OutcomeOrigin`); with
 * neither, nobody.
 */
export interface OutcomeIngest {
  token?: string | undefined;
  anonymous?: boolean | undefined;
}

/** The three ways a server takes outcomes over HTTP. */
export type OutcomeIngestMode = 'token' | 'anonymous' | 'off';

/**
 * The mode `ingest` asks for; throws an `InvalidArgumentError` for a token that is also the
 * admin token (a client that reports outcomes could then change the rollout) and for a token
 * together with anonymous outcomes (which would make the token pointless).
 */
export function outcomeIngestMode(
  ingest: OutcomeIngest,
  adminToken: string | undefined,
): OutcomeIngestMode {
  const token = ingest.token === '' ? undefined : ingest.token;
  if (token !== undefined && ingest.anonymous) {
    throw new InvalidArgumentError(
      'FLAGROUTE_INGEST_TOKEN',
      'is set, so outcomes need it: leave out --anonymous-outcomes, or unset the token',
    );
  }
  if (token !== undefined && token === adminToken) {
    throw new InvalidArgumentError(
      'FLAGROUTE_INGEST_TOKEN',
      'must differ from FLAGROUTE_ADMIN_TOKEN: every service that reports outcomes holds it, and the admin token changes the rollout',
    );
  }
  if (token !== undefined) return 'token';
  return ingest.anonymous ? 'anonymous' : 'off';
}

/** What `serve` warns at start, for each mode (never the token itself). */
export const INGEST_MODE_WARNINGS: Readonly<Record<OutcomeIngestMode, string>> = {
  token:
    'outcomes over HTTP (POST /v1/outcomes) need the ingest token (FLAGROUTE_INGEST_TOKEN); those without it are refused',
  anonymous:
    'anonymous outcomes (--anonymous-outcomes): anyone who can reach this server can post outcomes and open its circuit breaker; rollbacks they trigger stay in this process and are never written to the environment file. Set FLAGROUTE_INGEST_TOKEN instead for a server others can reach',
  off: 'outcomes over HTTP (POST /v1/outcomes) are refused: set FLAGROUTE_INGEST_TOKEN (and send it as a bearer token), or start with --anonymous-outcomes for a trial',
};

/**
 * What `serve` warns at start when it takes outcomes over HTTP without a decision key: such
 * outcomes are trusted as posted, since nothing ties them to a decision the fleet made.
 */
export const TRUSTED_OUTCOMES_WARNING =
  'outcomes over HTTP are trusted as posted: without a decision key (FLAGROUTE_DECISION_KEY) an outcome naming only its backend and cohort counts toward experiments and the rollout plan, so whoever holds the ingest token can invent users and arms that move a plan forward. Set FLAGROUTE_DECISION_KEY: outcomes must then name their decision by its token (or id), and are checked against it';
