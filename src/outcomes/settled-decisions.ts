/**
 * How many settled decision tokens a process remembers (file mode's exactly-once set): about
 * 120 bytes each with the map's bookkeeping, so about 30 MB. Beyond it the earliest settled is
 * forgotten, and from then on a token that expires no later than it is refused as `forgotten`
 * (its outcome could be a replay this process can no longer recognise): an outcome is counted
 * at most once, at the price of refusing late outcomes of old tokens under heavy load.
 */
export const SETTLED_MEMORY = 250_000;

/** Whether a token may take its outcome here. */
export type SettledStatus = 'open' | 'duplicate' | 'forgotten';

/**
 * The decision tokens whose outcome this process has taken: a bounded set with a floor. Every
 * token has its expiry; evicting one raises the floor to its expiry, and a token that is not
 * remembered and expires at or before the floor is `forgotten`, never taken as new. So within
 * one process no token is counted twice, whatever the load (fleet-wide, the PostgreSQL store's
 * unique key does the same without a bound).
 */
export class SettledDecisions {
  /** Settled ids with their tokens' expiry, oldest settled first. */
  private readonly settled = new Map<string, number>();
  private floor = Number.NEGATIVE_INFINITY;

  constructor(private readonly memory = SETTLED_MEMORY) {}

  /** Settled tokens remembered now. */
  get size(): number {
    return this.settled.size;
  }

  /** Whether the token `id` (expiring at `exp`) may take its outcome. */
  status(id: string, exp: number): SettledStatus {
    if (this.settled.has(id)) return 'duplicate';
    return exp <= this.floor ? 'forgotten' : 'open';
  }

  /** Marks `id` settled. */
  settle(id: string, exp: number): void {
    this.settled.set(id, exp);
    while (this.settled.size > this.memory) {
      const [oldest, expiry] = this.settled.entries().next().value!;
      this.settled.delete(oldest);
      if (expiry > this.floor) this.floor = expiry;
    }
  }

  /** Forgets that `id` was settled (its outcome was not written after all); the floor stays. */
  forget(id: string): void {
    this.settled.delete(id);
  }

  /** Forgets everything (and the floor). */
  clear(): void {
    this.settled.clear();
    this.floor = Number.NEGATIVE_INFINITY;
  }
}
