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
    `${result.decisions.toLocaleString('en')} synchronous decisions in a process of its own, each for a user never seen before and each reaching assignment, so every one hashes, misses the bucket cache and evicts an entry. No target; it watches the tail a cache's evictions leave to the garbage collector (toad-cache's cache, with an object per entry, gave 25 ms pauses here; lru-cache's typed arrays about 5 ms).`,
    '',
    `- ${result.nsPerDecision.toFixed(0)} ns/decision; slowest decision ${result.worstDecisionMs.toFixed(1)} ms; ${result.gcPauses} collector pauses, the longest ${result.longestGcPauseMs.toFixed(1)} ms`,
    '',
  ];
}
