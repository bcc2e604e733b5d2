import type { Clock } from '../clock.js';

/** What a {@link ShadowBudget} let through and held back since start. */
export interface ShadowBudgetCounts {
  admitted: number;
  /** Picked for the shadow, but the second's budget was spent: served without a shadow. */
  refused: number;
}

/**
 * The per-process rate budget of shadow calls: a token bucket of `perSecond` tokens a second,
 * holding at most one second's worth (a burst of `perSecond`, at least 1), on the router's clock. It keeps
 * the shadow's extra LightRAG load and bill bounded whatever the traffic; a fleet of N
 * processes asks for up to N times the budget (docs/shadow.md sizes it).
 */
export class ShadowBudget {
  private tokens: number;
  private last: number;
  private admitted = 0;
  private refused = 0;

  constructor(
    private readonly clock: Clock,
    private perSecond: number,
  ) {
    this.tokens = Math.max(1, perSecond);
    this.last = clock.now();
  }

  /** A new budget from a reload (the tokens held are kept, up to the new burst). */
  configure(perSecond: number): void {
    this.perSecond = perSecond;
    this.tokens = Math.min(this.tokens, this.burst);
  }

  /** The most tokens held: one second's worth, and at least one call (a budget below 1/s). */
  private get burst(): number {
    return Math.max(1, this.perSecond);
  }

  /** Takes one shadow call from the budget: false when this second's budget is spent. */
  take(): boolean {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.perSecond);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.admitted += 1;
      return true;
    }
    this.refused += 1;
    return false;
  }

  /** What it admitted and refused since start. */
  counts(): ShadowBudgetCounts {
    return { admitted: this.admitted, refused: this.refused };
  }
}
