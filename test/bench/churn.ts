import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** Decisions for users never seen before: the bucket cache's churn, and the tail it causes. */
export interface ChurnResult {
  decisions: number;
  nsPerDecision: number;
  worstDecisionMs: number;
  gcPauses: number;
  longestGcPauseMs: number;
}

/** Runs churn-child.js in a process of its own and returns what it measured. */
export function benchmarkChurn(): Promise<ChurnResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(import.meta.dirname, 'churn-child.js')], (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout) as ChurnResult),
    );
  });
}

/** The churn section of docs/benchmarks.md. */
export function renderChurn(result: ChurnResult): string[] {
  return [
    '## Churn: every user new',
    '',
    `${result.decisions.toLocaleString('en')} synchronous decisions in a process of its own, each for a user never seen before and each reaching assignment, so every one hashes. No target; it watches the tail that user churn leaves to the garbage collector (a bucket cache, when flagroute had one, left 5 ms pauses with lru-cache and 25 ms with toad-cache's object per entry).`,
    '',
    `- ${result.nsPerDecision.toFixed(0)} ns/decision; slowest decision ${result.worstDecisionMs.toFixed(1)} ms; ${result.gcPauses} collector pauses, the longest ${result.longestGcPauseMs.toFixed(1)} ms`,
    '',
  ];
}
