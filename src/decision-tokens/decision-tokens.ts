import { type Clock, systemClock } from '../clock.js';
import type { DecisionKeyring } from './decision-keys.js';
import {
  CLAIMS_VERSION,
  checkDecisionToken,
  type DecisionFacts,
  signDecisionToken,
  type TokenCheck,
} from './decision-token.js';

/** How long a decision token takes an outcome, by default: one hour. */
export const DEFAULT_TOKEN_TTL_MS = 60 * 60 * 1000;
/** How far ahead of this instance's clock another's token may have been issued: one minute. */
export const DEFAULT_MAX_SKEW_MS = 60 * 1000;

/** Options of {@link DecisionTokens}. */
export interface DecisionTokensOptions {
  keys: DecisionKeyring;
  /** A token's lifetime. Default {@link DEFAULT_TOKEN_TTL_MS}. */
  ttlMs?: number;
  /** Clock skew allowed between instances. Default {@link DEFAULT_MAX_SKEW_MS}. */
  maxSkewMs?: number;
  /** The wall clock the issue and expiry times are on. */
  clock?: Clock;
}

/**
 * Issues and checks one fleet's decision tokens: signed with the keyring's first key, checked
 * against any of its keys, valid for `ttlMs` from issue. Holds no state of its own beyond the
 * keys: any instance with the same keys reads any other's tokens.
 */
export class DecisionTokens {
  readonly ttlMs: number;
  readonly maxSkewMs: number;
  private readonly keys: DecisionKeyring;
  private readonly clock: Clock;

  constructor(options: DecisionTokensOptions) {
    this.keys = options.keys;
    this.ttlMs = options.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
    this.maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.clock = options.clock ?? systemClock;
  }

  /** The id of the key tokens are signed with now (never its secret). */
  get signingKeyId(): string {
    return this.keys.signing.id;
  }

  /** Now on the tokens' clock (ms since the epoch). */
  now(): number {
    return this.clock.now();
  }

  /** A signed token for a decision. */
  issue(facts: DecisionFacts): string {
    const iat = this.clock.now();
    return signDecisionToken(
      { v: CLAIMS_VERSION, ...facts, iat, exp: iat + this.ttlMs },
      this.keys,
    );
  }

  /** A token's claims, or why it is refused. */
  check(token: unknown): TokenCheck {
    return checkDecisionToken(token, this.keys, {
      now: this.clock.now(),
      maxSkewMs: this.maxSkewMs,
    });
  }
}
