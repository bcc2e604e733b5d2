import { describe, expect, it } from 'vitest';
import { runBenchmark } from './harness.js';
import { renderMarkdown } from './report.js';

describe('benchmark harness', () => {
  it('runs every system on a tiny workload, verifies them and renders the report', async () => {
    const result = await runBenchmark(
      {
        contexts: 300,
        rounds: 2,
        verifyContexts: 20_000,
        memoryDecisions: 2_000,
        memoryOutcomes: 2_000,
        reloads: 2,
      },
      { cpu: 'test', cores: 2, node: process.versions.node, platform: 'test', date: '2026-01-01' },
    );
    const systems = [
      'flagroute',
      'flagroute (decideSync)',
      '@openfeature/flagd-core',
      '@growthbook/growthbook',
      'unleash-client',
      'json-rules-engine (naive)',
    ];
    expect(result.workloads.realistic.map((timing) => timing.system).sort()).toEqual(
      [...systems].sort(),
    );
    expect(result.workloads.adversarial).toHaveLength(6);
    expect(result.verification.every((check) => check.ok)).toBe(true);
    expect(
      result.verification.find((check) => check.system === 'json-rules-engine (naive)')
        ?.exactMismatches,
    ).toBe(0);
    expect(result.workloads.realistic.find((timing) => timing.system === 'flagroute')?.ratio).toBe(
      1,
    );
    expect(result.reloadLatencyMs.saves).toBe(2);
    expect(result.comparisons.realistic).toHaveLength(3);
    expect(result.comparisons.adversarial).toHaveLength(3);
    const markdown = renderMarkdown(result);
    expect(markdown).toMatch(
      /realistic, flagroute \/ @openfeature\/flagd-core: [\d.]+ \([\d.]+–[\d.]+\), [\d.]+ .*, [\d.]+ .*; median of the three/,
    );
    expect(markdown).toContain('| flagroute |');
    expect(markdown).toContain('## Targets');
  });
});
