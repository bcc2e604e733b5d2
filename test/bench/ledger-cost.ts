/**
 * What the decision ledger costs a decision on this machine, with and without the user's unit
 * key it keeps per slot (see docs/performance.md, the decision ledger). Run
 * `node dist-bench/bench/ledger-cost.js` after `npm run build` and `tsc -p tsconfig.bench.json`.
 * A server issues every decision it makes into a ledger of 100,000 slots; this issues 1,000,000
 * decisions for fresh user ids (as new traffic brings them) with the user (without decision
 * tokens, as here, the id's characters copied into the slot, its unit key hashed only if an
 * outcome asks) and without (what the ledger did before it kept the user), alternating, best of
 * several rounds, since a busy machine only ever adds. Prints JSON: nanoseconds per decision
 * each way, and the bytes the ledger's arrays hold.
 */
import { type Decision, DecisionLedger, LEDGER_SIZE } from 'flagroute';

const DECISIONS = 1_000_000;
const ROUNDS = 7;
const SALT = 'ledger-cost-salt';
const decision = { backend: 'perplexity', cohort: 'perplexity' } as Decision;
const users = Array.from({ length: DECISIONS }, (_, index) => `user-${index}`);

function issueAll(ledger: DecisionLedger, withUser: boolean): number {
  const started = process.hrtime.bigint();
  for (let index = 0; index < DECISIONS; index += 1) {
    ledger.issue(decision, withUser ? { id: users[index], salt: SALT } : undefined);
  }
  return Number(process.hrtime.bigint() - started) / DECISIONS;
}

const best = { withUser: Number.POSITIVE_INFINITY, withoutUser: Number.POSITIVE_INFINITY };
const ledger = new DecisionLedger();
for (let round = 0; round < ROUNDS; round += 1) {
  best.withoutUser = Math.min(best.withoutUser, issueAll(ledger, false));
  best.withUser = Math.min(best.withUser, issueAll(ledger, true));
}
process.stdout.write(
  `${JSON.stringify({
    decisions: DECISIONS,
    nsPerDecision: { withoutUser: best.withoutUser, withUser: best.withUser },
    addedNs: best.withUser - best.withoutUser,
    slots: LEDGER_SIZE,
    // 48 characters of id (or the unit key's 16 bytes), its length and its salt's index a slot
    // (src/outcomes/ledger-users.ts).
    userBytes: LEDGER_SIZE * (48 + 1 + 1),
    otherArrayBytes: LEDGER_SIZE * (1 + 8 + 8),
  })}\n`,
);
