import { FlagrouteError } from '../errors.js';

/** One key of the decision keyring: its id (in every token it signs) and its secret. */
export interface DecisionKey {
  readonly id: string;
  readonly secret: Buffer;
}

/**
 * The keys a fleet signs and checks decision tokens with: the first signs, every one is
 * accepted. Rotation is three deploys: add the new key second (every instance accepts it),
 * move it first (it signs), drop the old one once its tokens have expired.
 */
export interface DecisionKeyring {
  readonly signing: DecisionKey;
  /** Every accepted key by id, the signing one included. */
  readonly byId: ReadonlyMap<string, DecisionKey>;
}

/** The environment variable that holds the keyring. */
export const DECISION_KEY_VARIABLE = 'FLAGROUTE_DECISION_KEY';
/** The shortest secret accepted, in bytes: HMAC-SHA256's own block of strength. */
export const MIN_SECRET_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * Reads a keyring from its text (`FLAGROUTE_DECISION_KEY`): entries `id:secret` separated by
 * commas or white space, the first signing, e.g. `k2:…,k1:…`. A secret is at least
 * {@link MIN_SECRET_BYTES} bytes of text (use `openssl rand -base64 48`), without U+FFFD (what
 * bytes that are not UTF-8 become in `process.env`). Errors name the
 * entry by its position and id, never its secret.
 */
export function parseDecisionKeys(text: string, variable = DECISION_KEY_VARIABLE): DecisionKeyring {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 0) {
    throw new FlagrouteError('USAGE', `${variable} is empty; give id:secret, the first signing`);
  }
  const byId = new Map<string, DecisionKey>();
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const at = `${variable} entry ${index + 1}`;
    if (colon < 0) {
      throw new FlagrouteError('USAGE', `${at} is not id:secret (the id names the key in tokens)`);
    }
    const id = entry.slice(0, colon);
    const secret = Buffer.from(entry.slice(colon + 1), 'utf8');
    if (!KEY_ID.test(id)) {
      throw new FlagrouteError(
        'USAGE',
        `${at} has key id ${JSON.stringify(id.slice(0, 40))}; an id is 1 to 32 letters, digits, _, . or -`,
      );
    }
    if (entry.includes('\uFFFD', colon)) {
      throw new FlagrouteError(
        'USAGE',
        `${at} (key id ${id}) has a secret holding U+FFFD, which is what bytes that are not UTF-8 become when the environment is read: a secret of raw random bytes would be mostly that one character, and weak; give text (openssl rand -base64 48)`,
      );
    }
    if (secret.length < MIN_SECRET_BYTES) {
      throw new FlagrouteError(
        'USAGE',
        `${at} (key id ${id}) has a secret of ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed (openssl rand -base64 48)`,
      );
    }
    if (byId.has(id)) throw new FlagrouteError('USAGE', `${at} repeats key id ${id}`);
    byId.set(id, { id, secret });
  }
  return { signing: byId.values().next().value!, byId };
}
