/**
 * The library's `env` option with a large rule variable, in a process of its own:
 * `node env-rules-child.js RULES` starts a router whose LIGHTRAG_ROUTING_RULES holds RULES
 * rules (JSON), reloads it, and prints both times as JSON.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRouter } from 'flagroute';
import { pino } from 'pino';
import { rulesAsJson } from './rule-configs.js';

const rules = Number(process.argv[2] ?? 20_000);
const dir = await mkdtemp(join(tmpdir(), 'flagroute-bench-env-'));
await mkdir(join(dir, 'environments'));
await writeFile(
  join(dir, 'environments', 'bench.yaml'),
  'rollout_percentage: 10\nenable_conditional_routing: false\n',
);
const env = { LIGHTRAG_ROUTING_RULES: rulesAsJson(rules) };
let started = performance.now();
const router = await createRouter({
  configDir: dir,
  environment: 'bench',
  env,
  watch: false,
  stabilityMs: 0,
  logger: pino({ level: 'silent' }),
});
const startMs = performance.now() - started;
if (router.config.routingRules.length !== rules) throw new Error('rules missing');
started = performance.now();
const reloaded = await router.reload();
const reloadMs = performance.now() - started;
if (!reloaded.ok) throw new Error(JSON.stringify(reloaded));
await router.close();
await rm(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ rules, startMs, reloadMs }));
