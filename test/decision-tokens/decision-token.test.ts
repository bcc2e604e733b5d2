import { describe, expect, it } from 'vitest';
import {
  CLAIMS_VERSION,
  type DecisionClaims,
  DecisionTokens,
  parseDecisionKeys,
  signDecisionToken,
} from '../../src/decision-tokens/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

const SECRET_1 = 'first-secret-of-the-decision-token-tests-0123456789';
const SECRET_2 = 'second-secret-of-the-decision-token-tests-987654321';

const FACTS = {
  id: 'a1b2c3d4e5f6-0',
  backend: 'lightrag',
  cohort: 'lightrag',
  bucket: 12.5,
  config: 'cfg-1',
} as const;

function tokens(keys: string, clock = new FakeClock(), ttlMs = 60_000) {
  return { tokens: new DecisionTokens({ keys: parseDecisionKeys(keys), clock, ttlMs }), clock };
}

/** The token with its claims part replaced by `claims` (the signature left as it was). */
function withClaims(token: string, claims: Record<string, unknown>): string {
  const [format, key, , signature] = token.split('.');
  return [format, key, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join(
    '.',
  );
}

describe('decision tokens: signed claims any instance with the key accepts', () => {
  it('round-trips the claims, with version, issue time and expiry, under another instance holding the key', () => {
    const { tokens: issuer, clock } = tokens(`k1:${SECRET_1}`);
    const token = issuer.issue({ ...FACTS, trial: 4, unit: 'u'.repeat(32), period: 'p10' });
    expect(token).toMatch(/^fr1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const { tokens: other } = tokens(`k1:${SECRET_1}`, clock);
    expect(other.check(token)).toEqual({
      ok: true,
      claims: {
        v: CLAIMS_VERSION,
        ...FACTS,
        trial: 4,
        unit: 'u'.repeat(32),
        period: 'p10',
        iat: clock.now(),
        exp: clock.now() + 60_000,
      },
    });
    expect(token).not.toContain(SECRET_1);
  });

  it('rotates: the first key signs, every key listed is accepted, a dropped key is unknown', () => {
    const clock = new FakeClock();
    const old = tokens(`k1:${SECRET_1}`, clock).tokens.issue(FACTS);
    const rotating = tokens(`k2:${SECRET_2},k1:${SECRET_1}`, clock).tokens;
    expect(rotating.signingKeyId).toBe('k2');
    expect(rotating.check(old).ok).toBe(true);
    const fresh = rotating.issue(FACTS);
    expect(fresh.split('.')[1]).toBe('k2');
    expect(tokens(`k2:${SECRET_2}`, clock).tokens.check(old)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
    expect(tokens(`k1:${SECRET_1}`, clock).tokens.check(fresh)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('refuses a forged or altered token: claims changed, signature changed, another secret under the same key id', () => {
    const { tokens: issuer, clock } = tokens(`k1:${SECRET_1}`);
    const token = issuer.issue(FACTS);
    const claims = JSON.parse(Buffer.from(token.split('.')[2]!, 'base64url').toString());
    const refused = { ok: false, reason: 'bad_signature' };
    expect(issuer.check(withClaims(token, { ...claims, backend: 'perplexity' }))).toEqual(refused);
    expect(issuer.check(withClaims(token, { ...claims, exp: claims.exp + 1e9 }))).toEqual(refused);
    const signature = token.split('.')[3]!;
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    expect(issuer.check(token.replace(signature, flipped))).toEqual(refused);
    expect(issuer.check(token.replace(signature, signature.slice(0, 20)))).toEqual(refused);
    const forger = tokens(`k1:${SECRET_2}`, clock).tokens;
    expect(issuer.check(forger.issue(FACTS))).toEqual(refused);
  });

  it('refuses an expired token, and one issued beyond the clock skew ahead', () => {
    const { tokens: issuer, clock } = tokens(`k1:${SECRET_1}`);
    const token = issuer.issue(FACTS);
    clock.advance(59_999);
    expect(issuer.check(token).ok).toBe(true);
    clock.advance(1);
    expect(issuer.check(token)).toEqual({ ok: false, reason: 'expired' });
    const behind = new FakeClock(clock.now() - 61_000);
    const ahead = tokens(`k1:${SECRET_1}`, clock).tokens.issue(FACTS);
    expect(tokens(`k1:${SECRET_1}`, behind).tokens.check(ahead)).toEqual({
      ok: false,
      reason: 'not_yet_valid',
    });
    const slightly = new FakeClock(clock.now() - 59_000);
    expect(tokens(`k1:${SECRET_1}`, slightly).tokens.check(ahead).ok).toBe(true);
  });

  it('reads claims it does not know and refuses a newer version, both signed', () => {
    const clock = new FakeClock();
    const keys = parseDecisionKeys(`k1:${SECRET_1}`);
    const base: DecisionClaims = { v: 1, ...FACTS, iat: clock.now(), exp: clock.now() + 1000 };
    const { tokens: reader } = tokens(`k1:${SECRET_1}`, clock);
    const extended = reader.check(signDecisionToken({ ...base, experiment: 'e7' }, keys));
    expect(extended).toMatchObject({ ok: true, claims: { experiment: 'e7' } });
    expect(reader.check(signDecisionToken({ ...base, v: 2 }, keys))).toEqual({
      ok: false,
      reason: 'unsupported_version',
    });
    const wrongType = signDecisionToken({ ...base, bucket: 'high' } as never, keys);
    expect(reader.check(wrongType)).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['three parts', 'fr1.k1.abc'],
    ['another format', 'fr9.k1.abc.def'],
    ['characters outside base64url', 'fr1.k1.ab+c.de/f'],
    ['too long', `fr1.k1.${'a'.repeat(3000)}.b`],
  ])('refuses a malformed token (%s)', (_name, token) => {
    expect(tokens(`k1:${SECRET_1}`).tokens.check(token)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('reads a keyring from FLAGROUTE_DECISION_KEY; mistakes name the entry, never the secret', () => {
    expect([...parseDecisionKeys(` k2:${SECRET_2}\n k1:${SECRET_1} `).byId.keys()]).toEqual([
      'k2',
      'k1',
    ]);
    const mistakes: [string, RegExp][] = [
      ['', /is empty/],
      [SECRET_1, /entry 1 is not id:secret/],
      [
        `k1:${SECRET_1},k2:short-secret`,
        /entry 2 \(key id k2\) has a secret of 12 bytes; at least 32/,
      ],
      [`bad!id:${SECRET_1}`, /entry 1 has key id "bad!id"/],
      [`k1:${SECRET_1},k1:${SECRET_2}`, /entry 2 repeats key id k1/],
      // Random bytes read from the environment as UTF-8: 48 bytes, most of them U+FFFD.
      [
        `k1:secret-of-the\uFFFD\uFFFD${'\uFFFD'.repeat(10)}`,
        /entry 1 \(key id k1\) has a secret holding U\+FFFD/,
      ],
    ];
    for (const [text, message] of mistakes) {
      let thrown: unknown;
      try {
        parseDecisionKeys(text);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'USAGE', message: expect.stringMatching(message) });
      expect(String((thrown as Error).message)).not.toContain('secret-of-the');
    }
  });
});
