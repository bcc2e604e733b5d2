import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeExperiment, eventsSource } from '../../src/experiment/index.js';
import { ExposureLedger, OutcomeEventLog } from '../../src/outcomes/index.js';
import { chiSquareIndependence } from '../../src/statistics/index.js';
import { routerIn } from '../helpers/test-router.js';

const BODY = `rollout_percentage: 60
enable_ab_testing: true
user_hash_salt: exposures-salt-24
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
`;

const assignment = (cohort: string | null, rolloutPercentage = 10) => ({
  cohort,
  backend: 'lightrag' as const,
  rolloutPercentage,
  configVersion: 'v1',
});

describe('exposures: one record per unit per allocation period', () => {
  it('the ledger writes a unit once per period, never for control or without an identifier', () => {
    const ledger = new ExposureLedger(2);
    const first = ledger.expose(assignment('lightrag'), 'alice', 'salt', 0);
    expect(first).toMatchObject({
      kind: 'exposure',
      schema: 2,
      cohort: 'lightrag',
      percentage: 10,
      period: 'p10',
    });
    expect(first!.unit).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(first)).not.toContain('alice');
    expect(ledger.expose(assignment('lightrag'), 'alice', 'salt', 1)).toBeNull();
    // A new percentage is a new allocation period.
    expect(ledger.expose(assignment('lightrag', 20), 'alice', 'salt', 2)).toMatchObject({
      period: 'p20',
    });
    expect(ledger.expose(assignment('control'), 'bob', 'salt', 3)).toBeNull();
    expect(ledger.expose(assignment(null), 'bob', 'salt', 3)).toBeNull();
    expect(ledger.expose(assignment('perplexity'), undefined, 'salt', 3)).toBeNull();
    // The bound: with room for two pairs, the least recently seen is forgotten and written again.
    expect(ledger.expose(assignment('perplexity'), 'carol', 'salt', 4)).not.toBeNull();
    expect(ledger.expose(assignment('lightrag'), 'alice', 'salt', 5)).not.toBeNull();
  });

  it('a router with an event log writes exposures beside outcomes; the report tests the split on exposed units and the outcome-return rate per arm', async () => {
    const { router, dir } = await routerIn({ 'environments/development.yaml': BODY });
    const events = join(dir, 'events');
    const log = new OutcomeEventLog({ dir: events });
    router.addOutcomeSink(log);
    const arms = { lightrag: 0, perplexity: 0 };
    const returned = { lightrag: 0, perplexity: 0 };
    for (let user = 0; user < 400; user += 1) {
      const userId = `user-${user}`;
      let decision = router.decideSync({ userId });
      for (let again = 0; again < 3; again += 1) decision = router.decideSync({ userId });
      const cohort = decision.cohort;
      if (cohort !== 'lightrag' && cohort !== 'perplexity') continue;
      arms[cohort] += 1;
      // LightRAG's users return an outcome 3 times in 10, Perplexity's 6 in 10.
      if (user % 10 < (cohort === 'lightrag' ? 3 : 6)) {
        returned[cohort] += 1;
        router.recordOutcome(decision, { success: true, latencyMs: 900, quality: 0.8, userId });
      }
    }
    await log.close();
    const lines = (await readFile(join(events, (await readdir(events))[0]!), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind?: string });
    const exposures = lines.filter((line) => line.kind === 'exposure');
    expect(exposures).toHaveLength(arms.lightrag + arms.perplexity);
    expect(lines.length - exposures.length).toBe(returned.lightrag + returned.perplexity);
    const data = await eventsSource([join(events, (await readdir(events))[0]!)]).read();
    expect(data.events?.malformed).toBe(0);
    const report = analyzeExperiment(data);
    expect(report.srm).toMatchObject({ basis: 'exposures', observed: arms });
    expect(report.outcome_return).toMatchObject({ exposed: arms, returned, differs: true });
    const fit = chiSquareIndependence([
      [returned.lightrag, arms.lightrag - returned.lightrag],
      [returned.perplexity, arms.perplexity - returned.perplexity],
    ]);
    expect(report.outcome_return!.p_value).toBeCloseTo(fit.pValue, 12);
    expect(report.notes.join('\n')).toMatch(/return outcomes at different rates/);
  });

  it('the return-rate test matches scipy (chi2_contingency without correction)', () => {
    const reference = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '..', 'fixtures', 'statistics', 'numerics.json'),
        'utf8',
      ),
    ).return_rate as { table: number[][]; chi_square: number; p_value: number };
    const fit = chiSquareIndependence(reference.table);
    expect(fit.statistic).toBeCloseTo(reference.chi_square, 10);
    expect(Math.abs(fit.pValue - reference.p_value) / reference.p_value).toBeLessThan(1e-8);
  });
});
