import { Counter, type Registry } from 'prom-client';
import type { RefusalCounts } from '../outcomes/index.js';

/**
 * The outcomes refused for what they said of their decision, on `registry`, by reason (a
 * decision token's refusal, or `user_mismatch`), read when Prometheus scrapes: a server's
 * (`flagroute serve` registers its ledger's) or an in-process provider's
 * (`FlagrouteProvider.outcomeRefusals`).
 */
export function registerOutcomeRefusalMetrics(refusals: RefusalCounts, registry: Registry): void {
  new Counter({
    name: 'flagroute_outcomes_refused_total',
    help: "Posted outcomes refused for what they said of their decision, by reason: a decision token's refusal (expired, bad_signature, ...) user_mismatch (a userId that is not the user the decision, by token or by id, was made for) or no_decision (an outcome naming no decision, on a server that holds a decision key). Nothing of their batch was recorded.",
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of refusals.byReason()) this.inc({ reason }, count);
    },
  });
}
