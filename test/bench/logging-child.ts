/**
 * The detailed-logging measurement, in a process of its own whose stderr is a pipe read by the
 * bench: `node logging-child.js CONFIG_DIR` times decisions with detailed (debug) logging off and
 * on, alternating, and prints `{offNs, onNs, decisionsLogged, dropped}` (per-round medians, and
 * the lines the logger dropped) on stdout.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRouter, droppedLogLines, type Router } from 'flagroute';

const [configDir = '.'] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'flagroute-bench-logging-'));
cpSync(join(configDir, 'rules'), join(dir, 'rules'), { recursive: true });
const ROUNDS = 7;
const DECISIONS = 50_000;

async function routerWith(detailed: boolean): Promise<Router> {
  const environment = detailed ? 'logged' : 'quiet';
  writeFileSync(
    join(dir, 'environments', `${environment}.yaml`),
    `rollout_percentage: 50\nenable_detailed_logging: ${detailed}\nlog_level: debug\n`,
  );
  return createRouter({ configDir: dir, environment, env: {}, watch: false });
}

async function pass(router: Router): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < DECISIONS; i += 1) {
    await router.decide({ userId: `user-${i % 20_000}`, region: 'us_east', queryType: 'clinical' });
  }
  return Number(process.hrtime.bigint() - started) / DECISIONS;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

cpSync(join(configDir, 'environments'), join(dir, 'environments'), { recursive: true });
const quiet = await routerWith(false);
const logged = await routerWith(true);
await pass(quiet);
await pass(logged);
const off: number[] = [];
const on: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  off.push(await pass(quiet));
  on.push(await pass(logged));
}
await quiet.close();
await logged.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  JSON.stringify({
    offNs: median(off),
    onNs: median(on),
    onMin: Math.min(...on),
    onMax: Math.max(...on),
    addedRoundsNs: on.map((ns, round) => ns - off[round]!),
    decisionsLogged: DECISIONS * (ROUNDS + 1),
    dropped: droppedLogLines(),
  }),
);
