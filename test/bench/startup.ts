import { execFile } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');

/** Wall time of `flagroute decide` for one user, from spawn to exit, 9 times. */
export async function benchmarkColdStart(
  configDir: string,
): Promise<{ runsMs: number[]; medianMs: number }> {
  const runsMs: number[] = [];
  for (let run = 0; run < 9; run += 1) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        [CLI, 'decide', '--env', 'production', '--user', 'alice', '--config-dir', configDir],
        { env: { ...process.env, FLAGROUTE_ENV: '' } },
        (error) => (error ? reject(error) : resolve()),
      );
    });
    runsMs.push(performance.now() - started);
  }
  const sorted = [...runsMs].sort((a, b) => a - b);
  return { runsMs, medianMs: sorted[Math.floor(sorted.length / 2)]! };
}

/**
 * Retained heap after 10,000 decisions for distinct 1 MiB user ids (in a child process with
 * `--expose-gc`, so that nothing else of the bench is in its heap).
 */
export function benchmarkHugeIds(configDir: string): Promise<{ ids: number; retainedMb: number }> {
  const script = `
    import { createRouter } from 'flagroute';
    const router = await createRouter({ configDir: ${JSON.stringify(configDir)}, environment: 'production', env: {}, watch: false });
    await router.decide({ userId: 'warm-up' });
    gc();
    const before = process.memoryUsage().heapUsed;
    const base = 'x'.repeat(1024 * 1024 - 8);
    for (let i = 0; i < 10000; i += 1) {
      await router.decide({ userId: base + String(i).padStart(8, '0'), region: 'us_east' });
    }
    gc();
    const after = process.memoryUsage().heapUsed;
    process.stdout.write(JSON.stringify({ ids: 10000, retainedMb: (after - before) / 1024 / 1024 }));
    await router.close();
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', script],
      { cwd: process.cwd(), maxBuffer: 1 << 20 },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))),
    );
  });
}

/** The start-up and huge-id sections of docs/benchmarks.md. */
export function renderStartup(
  coldStart: { runsMs: number[]; medianMs: number },
  hugeIds: { ids: number; retainedMb: number },
): string[] {
  return [
    '## CLI cold start and huge user ids',
    '',
    `- \`flagroute decide --env production --user alice\`, spawn to exit, 9 runs: median ${coldStart.medianMs.toFixed(0)} ms (runs ${Math.min(...coldStart.runsMs).toFixed(0)}–${Math.max(...coldStart.runsMs).toFixed(0)}); target < 250 ms: ${coldStart.medianMs < 250 ? 'met' : 'NOT met'}. A bare \`node -e 0\` takes about 60 ms here.`,
    `- ${hugeIds.ids.toLocaleString('en')} decisions for distinct 1 MiB user ids: ${hugeIds.retainedMb.toFixed(1)} MB of heap retained after them (target < 64 MB): ${hugeIds.retainedMb < 64 ? 'met' : 'NOT met'} (no bucket is cached).`,
    '',
  ];
}
