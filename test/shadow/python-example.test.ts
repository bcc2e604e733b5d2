import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ShadowReport } from '../../src/shadow/index.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';
import { pythonSdkSetup } from '../helpers/python-sdk.js';
import { INGEST_TOKEN, testServer } from '../helpers/test-server.js';

const EXAMPLE = join(REPO_DIR, 'docs', 'examples', 'shadow_duel.py');

const setup = pythonSdkSetup();
const sdk = 'missing' in setup ? undefined : setup.pythonPath;
// With CI=true a missing SDK is a failure, never a skip.
const runIt = !('missing' in setup) || process.env.CI === 'true' ? it : it.skip;

describe('docs/examples/shadow_duel.py against a real flagroute server', () => {
  runIt(
    'decides over OFREP, shadows what flagroute picks, posts each pair; the server analyses them per user',
    async () => {
      if ('missing' in setup) throw new Error(`missing ${setup.missing}`);
      const temp = await tempConfigDir({
        'environments/development.yaml': `rollout_percentage: 20
enable_ab_testing: true
user_hash_salt: shadow-example-salt
rollback_triggers: {enabled: false}
enable_quality_metrics: false
shadow: { percentage: 60, max_per_second: 10000 }
`,
      });
      const server = await testServer({
        configDir: temp.dir,
        watch: false,
        ingestToken: INGEST_TOKEN,
      });
      const child = spawn('python3', [EXAMPLE], {
        cwd: temp.dir,
        env: {
          ...process.env,
          FLAGROUTE_URL: server.url,
          FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN,
          SHADOW_DUEL_USERS: '30',
          SHADOW_DUEL_QUERIES: '4',
          ...(sdk ? { PYTHONPATH: sdk } : {}),
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const code = await new Promise((resolve) => child.once('close', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const tally = JSON.parse(stdout) as Record<string, number>;
      expect(tally.decisions).toBe(120);
      expect(tally.shadowed).toBeGreaterThan(20);

      const report = (await fetch(`${server.url}/v1/experiment/shadow?sequential=false`).then(
        (response) => response.json(),
      )) as ShadowReport;
      // Every pair the example posted, and only those, is analysed, per user.
      expect(report.pairs).toBe(tally.shadowed);
      expect(report.units).toBeGreaterThan(10);
      expect(report.cost.shadow_cost_usd).toBeCloseTo(0.003 * tally.shadowed!, 9);
      const quality = report.metrics.find((metric) => metric.metric === 'quality_score')!;
      expect(quality.units).toBeGreaterThan(10);
      expect(quality.difference).toBeGreaterThan(0);
      expect(report.preferences.map((preference) => preference.judge)).toEqual(['synthetic-judge']);
      const summary = server.router.getPerformanceSummary();
      const recorded = Object.values(summary.performance).reduce(
        (total, figures) => total + figures.success_count + figures.error_count,
        0,
      );
      expect(recorded).toBe(tally.decisions);
    },
    60_000,
  );
});
