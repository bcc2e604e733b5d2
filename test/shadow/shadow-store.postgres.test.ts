import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { ShadowReport } from '../../src/shadow/index.js';
import { startCli, waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';
import { INGEST_TOKEN, postOutcomes } from '../helpers/test-server.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'shadow');
const BODY = `rollout_percentage: 10
enable_ab_testing: true
user_hash_salt: shadow-store-salt
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
`;

/** The fixture's pairs as a service posts them: the unit as the user id, no time or id. */
function postedPairs(): Record<string, unknown>[] {
  return readFileSync(join(FIXTURES, 'pairs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((event) => event.kind === undefined)
    .map(({ time: _time, unit, decisionId: _id, configVersion: _version, ...posted }) =>
      unit === undefined ? posted : { ...posted, userId: unit },
    );
}

describePostgres('pairs in the fleet store', () => {
  const postgres = usePostgres();

  it('serve --store keeps each pair in its row; experiment report --shadow --store equals the event-log report (held to scipy)', async () => {
    const store = await postgres().createDatabase();
    const temp = await tempConfigDir({ 'environments/development.yaml': BODY });
    const server = startCli(['serve', '--config-dir', temp.dir, '--port', '0'], {
      env: { FLAGROUTE_STORE: store, FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN },
    });
    const url = await waitFor(
      'flagroute serve to listen',
      () => /listening on (\S+)/.exec(server.output())?.[1],
      60_000,
    );
    const posted = postedPairs();
    for (let from = 0; from < posted.length; from += 200) {
      const answer = await postOutcomes(`${url}/v1/outcomes`, posted.slice(from, from + 200));
      expect(answer.status).toBe(200);
    }
    expect(await server.stop()).toBe(0);

    const options = ['--sequential-tuning', '500', '--json'];
    const fromStore = await runCli([
      'experiment',
      'report',
      '--shadow',
      '--store',
      store,
      '--env',
      'development',
      ...options,
    ]);
    expect(fromStore.stderr).toBe('');
    expect(fromStore.code).toBe(0);
    const fromFiles = await runCli([
      'experiment',
      'report',
      '--shadow',
      '--events',
      join(FIXTURES, 'pairs.jsonl'),
      ...options,
    ]);
    const store_ = JSON.parse(fromStore.stdout) as ShadowReport;
    const files = JSON.parse(fromFiles.stdout) as ShadowReport;
    expect(store_.pairs).toBe(files.pairs);
    expect(store_.pairs_without_unit).toBe(files.pairs_without_unit);
    expect(store_.units).toBe(files.units);
    expect(store_.cost.shadow_cost_usd).toBeCloseTo(files.cost.shadow_cost_usd, 12);
    for (const [index, metric] of store_.metrics.entries()) {
      const other = files.metrics[index]!;
      expect([metric.metric, metric.units, metric.pairs]).toEqual([
        other.metric,
        other.units,
        other.pairs,
      ]);
      for (const key of ['difference', 'p_value', 'se'] as const) {
        const scale = Math.max(Math.abs(other[key]!), 1e-300);
        expect(
          Math.abs(metric[key]! - other[key]!) / scale,
          `${metric.metric}.${key}`,
        ).toBeLessThan(1e-9);
      }
    }
    expect(store_.preferences).toEqual(
      files.preferences.map((preference) =>
        expect.objectContaining({
          judge: preference.judge,
          units: preference.units,
          users_preferring_lightrag: preference.users_preferring_lightrag,
          users_preferring_perplexity: preference.users_preferring_perplexity,
        }),
      ),
    );
  }, 90_000);
});
