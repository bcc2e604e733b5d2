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
