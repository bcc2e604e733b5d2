import { randomBytes } from 'node:crypto';
import type { Backend } from '../config/types.js';
import { COHORTS, type Cohort, type Decision } from '../decision/types.js';
import type { DecisionClaims, DecisionTokens, TokenRefusal } from '../decision-tokens/index.js';
import type { Covariates } from '../metrics/index.js';
import { allocationPeriod } from './exposures.js';
import type { LedgerMiss } from './ledger-miss.js';
import { LEDGER_SIZE, LEDGER_TTL_MS, type LedgerOptions } from './ledger-options.js';
import { LedgerUsers } from './ledger-users.js';
import { SETTLED_MEMORY, SettledDecisions } from './settled-decisions.js';
import { TieRefusals } from './tie-refusals.js';
import { unitDigest, unitKeyOfDigest } from './unit-key.js';

/** What an outcome reported over HTTP needs of the decision it follows. */
export type LedgerEntry = Pick<Decision, 'backend' | 'cohort' | 'breakerTrial'> & {
  covariates?: Covariates | null | undefined;
  /** Whether the decision was picked for the shadow: only then does it take a pair. */
  shadow?: boolean;
  /** The pseudonymous unit key of the user the decision was made for (see `unitKey`), if any. */
  unit?: string;
};

/** What a decision is given for its outcome: its id, and its signed token when tokens are on. */
export interface IssuedDecision {
  decisionId: string;
  decisionToken?: string;
}

/** A token checked for an outcome: its claims and whether its decision already has one. */
export type TokenTie =
  | { ok: true; claims: DecisionClaims; status: 'open' | 'duplicate' }
  | { ok: false; reason: TokenRefusal };

const BACKENDS: readonly Backend[] = ['lightrag', 'perplexity'];
const COHORT_CODES: readonly (Cohort | null)[] = [null, ...COHORTS];
/** Marks a slot whose decision already has its outcome. */
const SETTLED = 0x80;
/** Marks a slot whose decision was picked for the shadow. */
const SHADOWED = 0x40;
/** Marks a slot that holds its user's unit key. */
const WITH_UNIT = 0x20;
/** Marks a slot that holds its user's id, whose unit key is hashed when asked. */
const WITH_ID = 0x10;
/** The bits of a slot's code that hold its backend and cohort. */
const DECISION_BITS = 0x0f;
const SEQUENCE = /^[0-9a-z]{1,11}$/;

/**
 * Remembers the backend, cohort and breaker trial of recent decisions under an id, so that an
 * outcome posted later (`POST /v1/outcomes {decisionId}`) is counted for the right cohort and,
 * when the decision took a half-open trial slot, decides the breaker.
 *
 * A ring of the last {@link LEDGER_SIZE} decisions in typed arrays, not a map of objects: a
 * server remembers every decision it makes, and a map of 100,000 live objects cost a fifth of
 * the OFREP route's throughput in garbage collection. An id is this ledger's random prefix and
 * the decision's sequence number, so an id from another instance or an earlier process is
 * unknown here, never mistaken for one of this ledger's decisions. An id takes one outcome:
 * a second is refused, so a retried post cannot count an outcome twice.
 *
 * With decision tokens on, each decision also gets a signed token whose id is its id; any
 * instance with the key ties an outcome by the token. Tokens settled here are remembered in a
 * bounded set ({@link SettledDecisions}): one outcome per token in this process.
 */
export class DecisionLedger {
  private readonly prefix = `${randomBytes(6).toString('hex')}-`;
  private readonly size: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /**
   * backend index (bit 3), cohort code (bits 0-2) plus one, {@link WITH_ID}, {@link WITH_UNIT},
   * {@link SHADOWED}, {@link SETTLED}; 0 = empty.
   */
  private readonly codes: Uint8Array;
  /** The user of each slot: its id (hashed when an outcome asks) or its unit key. */
  private readonly users: LedgerUsers;
  private readonly times: Float64Array;
  /** Breaker trial numbers by slot: few decisions take a trial slot. */
  private readonly trials = new Map<number, number>();
  /**
   * Covariates by slot (decisions in an experiment arm whose context gave any): the decision's
   * own object, held, not copied; a plain array, so a slot's reuse overwrites it.
   */
  private readonly covariates: (Covariates | null)[];
  private next = 0;
  /** Signs and checks tokens; undefined when this process has no decision key. */
  readonly tokens: DecisionTokens | undefined;
  private readonly settledTokens: SettledDecisions;
  /** Outcomes refused for what they said of their decision (`/metrics` shows them). */
  readonly refusals = new TieRefusals();

  constructor(options: LedgerOptions = {}) {
    this.size = options.size ?? LEDGER_SIZE;
    this.ttlMs = options.ttlMs ?? LEDGER_TTL_MS;
    this.now = options.now ?? (() => performance.now());
    this.codes = new Uint8Array(this.size);
    this.times = new Float64Array(this.size);
    this.users = new LedgerUsers(this.size);
    this.covariates = new Array<Covariates | null>(this.size).fill(null);
    this.tokens = options.tokens;
    this.settledTokens = new SettledDecisions(options.settledMemory ?? SETTLED_MEMORY);
  }

  /**
   * Remembers a decision and gives it what its outcome will name: its id and, with tokens on,
   * a signed token whose id is the same. Both carry the user's pseudonymous unit key (from
   * `user.id` under `user.salt`, when the id is a string), so that an outcome for another user
   * is refused and one that names no user is counted for the decision's. Without tokens the key
   * is hashed when an outcome asks for it (most decisions get none), from the id kept.
   */
  issue(
    decision: Decision,
    user: { id: unknown; salt: string } | undefined = undefined,
    shadow = decision.shadow === 'lightrag',
  ): IssuedDecision {
    const id = typeof user?.id === 'string' ? user.id : undefined;
    if (!this.tokens) {
      // No token to carry the unit key: it is hashed only if an outcome asks for it.
      const sequence = this.store(decision, shadow);
      if (id !== undefined) this.keepUser(sequence % this.size, id, user!.salt);
      return { decisionId: this.idOf(sequence) };
    }
    const digest = id === undefined ? undefined : unitDigest(id, user!.salt);
    const decisionId = this.remember(decision, shadow, digest);
    const unit = digest === undefined ? undefined : unitKeyOfDigest(digest);
    const decisionToken = this.tokens.issue({
      id: decisionId,
      backend: decision.backend,
      cohort: decision.cohort,
      bucket: decision.bucket,
      config: decision.configVersion,
      ...(decision.breakerTrial === undefined ? {} : { trial: decision.breakerTrial }),
      ...(unit === undefined ? {} : { unit }),
      period: allocationPeriod(decision.rolloutPercentage),
      ...(shadow ? { shadow: true } : {}),
      ...(decision.covariates ? { cov: decision.covariates } : {}),
    });
    return { decisionId, decisionToken };
  }

  /** Whether this ledger issued the id (this process), so a breaker trial in it is this breaker's. */
  owns(id: string): boolean {
    return id.startsWith(this.prefix);
  }

  /**
   * Checks a token for an outcome: signed with a key held here, within its lifetime, and not
   * settled already, here or (for this process's own decisions) by its id.
   */
  checkToken(token: string): TokenTie {
    if (!this.tokens) return { ok: false, reason: 'no_keys' };
    const checked = this.tokens.check(token);
    if (!checked.ok) return checked;
    const { claims } = checked;
    const status = this.settledTokens.status(claims.id, claims.exp);
    if (status === 'forgotten') return { ok: false, reason: 'forgotten' };
    const duplicate =
      status === 'duplicate' || (this.owns(claims.id) && this.find(claims.id) === 'settled');
    return { ok: true, claims, status: duplicate ? 'duplicate' : 'open' };
  }

  /** Marks a token's decision as having its outcome. */
  settleToken(claims: Pick<DecisionClaims, 'id' | 'exp'>): void {
    this.settledTokens.settle(claims.id, claims.exp);
    if (this.owns(claims.id)) this.settle(claims.id);
  }

  /**
   * Remembers a decision (whether it was picked for the shadow, and its user's unit digest, of
   * which the first `UNIT_KEY_BYTES` bytes are kept: see `unitDigest`); returns its id.
   */
  remember(
    decision: Decision,
    shadow = decision.shadow === 'lightrag',
    unit: string | undefined = undefined,
  ): string {
    const sequence = this.store(decision, shadow);
    if (unit) {
      const slot = sequence % this.size;
      this.users.keepDigest(slot, unit);
      this.codes[slot]! |= WITH_UNIT;
    }
    return this.idOf(sequence);
  }

  /** Stores a decision, without its user, in the next slot; returns its sequence number. */
  private store(decision: Decision, shadow: boolean): number {
    const sequence = this.next;
    this.next += 1;
    const slot = sequence % this.size;
    const cohort = COHORT_CODES.indexOf(decision.cohort);
    this.codes[slot] =
      ((decision.backend === 'lightrag' ? 0 : 1) << 3) | (cohort + 1) | (shadow ? SHADOWED : 0);
    this.times[slot] = this.now();
    if (decision.breakerTrial !== undefined) this.trials.set(slot, decision.breakerTrial);
    else if (this.trials.size > 0) this.trials.delete(slot);
    this.covariates[slot] = decision.covariates ?? null;
    return sequence;
  }

  /** Keeps a slot's user: its id when it fits, else its unit digest now. */
  private keepUser(slot: number, id: string, salt: string): void {
    if (this.users.keepId(slot, id, salt)) {
      this.codes[slot]! |= WITH_ID;
    } else {
      this.users.keepDigest(slot, unitDigest(id, salt));
      this.codes[slot]! |= WITH_UNIT;
    }
  }

  private idOf(sequence: number): string {
    return this.prefix + sequence.toString(36);
  }

  /** The decision an id names, if it is remembered, recent and has no outcome yet; or why not. */
  find(id: string): LedgerEntry | LedgerMiss {
    const slot = this.slotOf(id);
    return typeof slot === 'number' ? this.entryAt(slot) : slot;
  }

  /**
   * The decision an id names, marked as having its outcome; or why there is none to take one.
   */
  settle(id: string): LedgerEntry | LedgerMiss {
    const slot = this.slotOf(id);
    if (typeof slot !== 'number') return slot;
    const entry = this.entryAt(slot);
    this.codes[slot]! |= SETTLED;
    // A token of the same decision must not take a second outcome after the id took one.
    if (this.tokens)
      this.settledTokens.settle(id, this.tokens.now() + this.tokens.ttlMs + this.tokens.maxSkewMs);
    return entry;
  }

  /**
   * Undoes {@link settle} of an id whose outcome could not be written after all (a store that
   * refused it): the decision takes its outcome again. An id not settled here is left alone.
   */
  release(id: string): void {
    if (this.slotOf(id) !== 'settled') return;
    this.codes[Number.parseInt(id.slice(this.prefix.length), 36) % this.size]! &= ~SETTLED;
    this.settledTokens.forget(id);
  }

  /** Forgets every decision (the refusals counted stay: they are counters). */
  clear(): void {
    this.codes.fill(0);
    this.trials.clear();
    this.covariates.fill(null);
    this.settledTokens.clear();
  }

  private slotOf(id: string): number | LedgerMiss {
    if (!id.startsWith(this.prefix)) return 'unknown';
    const digits = id.slice(this.prefix.length);
    if (!SEQUENCE.test(digits)) return 'unknown';
    const sequence = Number.parseInt(digits, 36);
    if (sequence >= this.next) return 'unknown';
    if (sequence < this.next - this.size) return 'expired';
    const slot = sequence % this.size;
    const code = this.codes[slot]!;
    if (code === 0) return 'unknown';
    if (this.now() - this.times[slot]! > this.ttlMs) return 'expired';
    if (code & SETTLED) return 'settled';
    return slot;
  }

  private entryAt(slot: number): LedgerEntry {
    const code = this.codes[slot]! & DECISION_BITS;
    const shadow = (this.codes[slot]! & SHADOWED) !== 0;
    const flags = this.codes[slot]!;
    const unit =
      flags & WITH_ID
        ? this.users.unitOfId(slot)
        : flags & WITH_UNIT
          ? this.users.unitOfDigest(slot)
          : undefined;
    const backend = BACKENDS[code >> 3]!;
    const cohort = COHORT_CODES[(code & 0b111) - 1]!;
    const trial = this.trials.get(slot);
    const covariates = this.covariates[slot];
    return {
      backend,
      cohort,
      ...(shadow ? { shadow: true } : {}),
      ...(unit === undefined ? {} : { unit }),
      ...(trial === undefined ? {} : { breakerTrial: trial }),
      ...(covariates ? { covariates } : {}),
    };
  }
}
