import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DecisionKeyring } from './decision-keys.js';

/** The version of the claim set this flagroute writes; it reads this one and refuses newer. */
export const CLAIMS_VERSION = 1;

/** The prefix of every token: the format, so that another format can come beside it. */
const FORMAT = 'fr1';

/** What a decision says of itself in its token, beyond what the issuer adds (version, times). */
export interface DecisionFacts {
  /** The decision's id, unique in the fleet: the key of its one outcome. */
  id: string;
  backend: 'lightrag' | 'perplexity';
  cohort: 'lightrag' | 'perplexity' | 'control' | null;
  bucket: number | null;
  /** The configuration version the decision was made on. */
  config: string;
  /** The breaker's half-open period whose trial slot the decision took (on its issuer). */
  trial?: number;
  /** The user's pseudonymous unit key (see `unitKey`), when the decision had a user. */
  unit?: string;
  /** The exposure (allocation) period, `p<percentage>`. */
  period?: string;
  /** A shadow decision: the caller also calls the candidate for comparison. */
  shadow?: boolean;
}

/**
 * What a decision token says of its decision, signed (version {@link CLAIMS_VERSION}). Any
 * instance holding the key can tie an outcome to the decision from the token alone. Claims this
 * version does not know are kept and ignored, so a newer writer can add some without breaking
 * an older reader; a change of meaning takes a new `v`.
 */
export interface DecisionClaims extends DecisionFacts {
  /** The claim set's version. */
  v: number;
  /** Issued at, ms since the epoch (the issuer's clock). */
  iat: number;
  /** Expires at, ms since the epoch. */
  exp: number;
  [extension: string]: unknown;
}

/** Why a token ties no outcome; each reaches the wire as a problem's `reason`. */
export const TOKEN_REFUSALS = [
  /** Not a token at all, or damaged (cut, re-encoded). */
  'malformed',
  /** Signed with a key id this instance does not hold (not yet rolled out, or retired). */
  'unknown_key',
  /** The signature does not match: forged or altered. */
  'bad_signature',
  /** Its claim set is of a newer version than this flagroute reads. */
  'unsupported_version',
  /** Past its expiry. */
  'expired',
  /** Issued further in the future than the clock skew allowed. */
  'not_yet_valid',
  /** This instance holds no decision key (`FLAGROUTE_DECISION_KEY`). */
  'no_keys',
  /** Older than what this instance still remembers of settled tokens (file mode's bound). */
  'forgotten',
] as const;
/** A reason a token is refused. */
export type TokenRefusal = (typeof TOKEN_REFUSALS)[number];

/** What each refusal tells the outcome's author. */
export const TOKEN_REFUSAL_MESSAGES: Readonly<Record<TokenRefusal, string>> = {
  malformed: 'is not a flagroute decision token (fr1.<key id>.<claims>.<signature>)',
  unknown_key:
    'is signed with a key this server does not hold (rotation not rolled out yet, or a retired key)',
  bad_signature: 'has a signature that does not match its claims (forged or altered)',
  unsupported_version: `carries claims of a version newer than ${CLAIMS_VERSION}, which this server reads`,
  expired: 'has expired; a token takes its outcome within its lifetime',
  not_yet_valid: 'was issued in the future by more than the allowed clock skew',
  no_keys: 'cannot be checked: this server holds no decision key (FLAGROUTE_DECISION_KEY)',
  forgotten:
    'is older than the tokens this server still remembers as settled, so its outcome could be a replay',
};

/** A checked token: its claims, or why it is refused. */
export type TokenCheck = { ok: true; claims: DecisionClaims } | { ok: false; reason: TokenRefusal };

/** The longest token read; anything longer is refused before any work. */
export const MAX_TOKEN_LENGTH = 2048;
const PART = /^[A-Za-z0-9_-]+$/;

function mac(secret: Buffer, signed: string): Buffer {
  return createHmac('sha256', secret).update(signed).digest();
}

/** Signs a claim set with the keyring's signing key: `fr1.<key id>.<claims>.<signature>`. */
export function signDecisionToken(claims: DecisionClaims, keys: DecisionKeyring): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signed = `${FORMAT}.${keys.signing.id}.${body}`;
  return `${signed}.${mac(keys.signing.secret, signed).toString('base64url')}`;
}

/** Options of {@link checkDecisionToken}. */
export interface TokenCheckOptions {
  /** Now, ms since the epoch. */
  now: number;
  /** How far in the future a token's issue time may lie (another instance's clock). */
  maxSkewMs: number;
}

/**
 * Checks a token: its form, its key, its signature (in constant time), its version and its
 * lifetime, in that order, so that nothing of an unsigned claim set is believed.
 */
export function checkDecisionToken(
  token: unknown,
  keys: DecisionKeyring | undefined,
  options: TokenCheckOptions,
): TokenCheck {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) {
    return { ok: false, reason: 'malformed' };
  }
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== FORMAT || !parts.every((part) => PART.test(part))) {
    return { ok: false, reason: 'malformed' };
  }
  if (!keys) return { ok: false, reason: 'no_keys' };
  const [, keyId, body, signature] = parts as [string, string, string, string];
  const key = keys.byId.get(keyId);
  if (!key) return { ok: false, reason: 'unknown_key' };
  const expected = mac(key.secret, `${FORMAT}.${keyId}.${body}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!isObject(claims) || typeof claims.v !== 'number') return { ok: false, reason: 'malformed' };
  if (claims.v > CLAIMS_VERSION) return { ok: false, reason: 'unsupported_version' };
  if (!wellFormed(claims)) return { ok: false, reason: 'malformed' };
  if (claims.iat > options.now + options.maxSkewMs) return { ok: false, reason: 'not_yet_valid' };
  if (options.now >= claims.exp) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const BACKENDS = new Set(['lightrag', 'perplexity']);
const COHORTS = new Set(['lightrag', 'perplexity', 'control']);

/** A signed claim set of this version that says what version 1 needs, in the right types. */
function wellFormed(claims: Record<string, unknown>): claims is DecisionClaims {
  const optional = (key: string, type: string) =>
    claims[key] === undefined || typeof claims[key] === type;
  return (
    claims.v === CLAIMS_VERSION &&
    typeof claims.id === 'string' &&
    claims.id.length > 0 &&
    claims.id.length <= 200 &&
    BACKENDS.has(claims.backend as string) &&
    (claims.cohort === null || COHORTS.has(claims.cohort as string)) &&
    (claims.bucket === null || typeof claims.bucket === 'number') &&
    typeof claims.config === 'string' &&
    Number.isFinite(claims.iat) &&
    Number.isFinite(claims.exp) &&
    optional('trial', 'number') &&
    optional('unit', 'string') &&
    optional('period', 'string') &&
    optional('shadow', 'boolean')
  );
}
