import { describe, expect, it } from 'vitest';
import { runBenchmark } from './harness.js';
import { renderMarkdown, versusFlagd } from './report.js';

describe('benchmark harness', () => {
  it('runs every system on every workload, verifies them and renders the report', async () => {
    const result = await runBenchmark(
      {
        contexts: 300,
        rounds: 2,
        comparisons: 2,
        verifyContexts: 20_000,
        memoryDecisions: 2_000,
        memoryOutcomes: 2_000,
        reloads: 2,
      },
      {
        cpu: 'test',
        cores: 2,
        node: process.versions.node,
        platform: 'test',
        date: '2026-01-01',
        loadAverage: [1, 1, 1],
      },
    );
    const systems = [
      'flagroute',
      'flagroute (decideSync)',
      '@openfeature/flagd-core',
      '@growthbook/growthbook',
      'unleash-client',
      'json-rules-engine (naive)',
    ];
    expect(result.workloadInfo.map((info) => [info.name, info.fresh])).toEqual([
      ['replayed', false],
      ['reparsed', true],
      ['fresh', true],
      ['all-new', true],
    ]);
    for (const info of result.workloadInfo) {
      const [first, second] = result.comparisons[info.name];
      expect(first!.map((timing) => timing.system).sort()).toEqual([...systems].sort());
      // The repeats compare flagroute with flagd-core only.
      expect(second!.map((timing) => timing.system).sort()).toEqual(systems.slice(0, 3).sort());
      for (const timing of first!) expect(timing.samples).toHaveLength(2);
      expect(first!.find((timing) => timing.system === '@openfeature/flagd-core')?.ratio).toBe(1);
    }
    // Users never seen before are never in a cache; the replayed users always are after warm-up.
    const hitRate = (name: string) =>
      result.workloadInfo.find((info) => info.name === name)!.cacheHitRate;
    expect(hitRate('all-new')).toBe(0);
    expect(hitRate('replayed')).toBe(1);
    expect(result.verification.every((check) => check.ok)).toBe(true);
    expect(
      result.verification.find((check) => check.system === 'json-rules-engine (naive)')
        ?.exactMismatches,
    ).toBe(0);
    expect(result.reloadLatencyMs.saves).toBe(2);
    const markdown = renderMarkdown(result);
    expect(markdown).toMatch(
      /fresh, flagroute \(decideSync\) \/ @openfeature\/flagd-core: [\d.]+ \([\d.]+–[\d.]+\), [\d.]+ \([\d.]+–[\d.]+\); median of the 2 comparisons [\d.]+, target <= 1: (met|NOT met)/,
    );
    expect(markdown).toContain('| replayed | **replayed** |');
    expect(markdown).toContain('## Targets');
  });

  it('takes ratios round by round', () => {
    const timing = (system: string, samples: number[]) => ({
      system,
      samples,
      medianNs: 0,
      minNs: 0,
      maxNs: 0,
      ratio: 0,
    });
    const ratio = versusFlagd(
      [timing('flagroute', [200, 300, 90]), timing('@openfeature/flagd-core', [100, 200, 100])],
      'flagroute',
    );
    expect(ratio).toEqual({ ratio: 1.5, low: 0.9, high: 2 });
  });
});
