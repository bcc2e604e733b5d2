import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeExperiment } from '../../src/experiment/analyze-experiment.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';
import { EXPERIMENT_FIXTURES } from '../helpers/experiment-fixtures.js';

/** The built reader: its worker threads run from dist/ (the source has no .js worker). */
const built = (await import(
  join(REPO_DIR, 'dist', 'index.js')
)) as typeof import('../../src/index.js');

describe('reading an event log with worker threads', () => {
  it('gives the same report, counts and file:line of malformed lines as one thread', async () => {
    const { dir } = await tempConfigDir();
    const lines = readFileSync(join(EXPERIMENT_FIXTURES, 'clear-winner.jsonl'), 'utf8')
      .trim()
      .split('\n');
    for (const at of [3, 600, 1201, lines.length - 2]) lines.splice(at, 0, `{broken line ${at}`);
    lines.splice(900, 0, '');
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const one = await built.readEventFiles([file], { threads: 1 });
    const three = await built.readEventFiles([file], { threads: 3, parallelMinBytes: 0 });
    expect(three.lines).toBe(one.lines);
    expect(three.malformed).toBe(4);
    expect(three.examples).toEqual(one.examples);
    expect(three.examples.map((example) => example.line)).toEqual(
      lines.flatMap((line, index) => (line.startsWith('{broken') ? [index + 1] : [])),
    );
    for (const unit of ['request', 'user'] as const) {
      const a = analyzeExperiment(one.accumulator.stats(unit));
      const b = analyzeExperiment(three.accumulator.stats(unit));
      for (const metric of Object.keys(a.metrics) as (keyof typeof a.metrics)[]) {
        expect(b.metrics[metric].n).toEqual(a.metrics[metric].n);
        expect(b.metrics[metric].p_value).toBeCloseTo(a.metrics[metric].p_value!, 12);
        expect(b.metrics[metric].mean[0]).toBeCloseTo(a.metrics[metric].mean[0]!, 12);
      }
      expect(b.units).toEqual(a.units);
    }
    expect(three.accumulator.usersInBothArms).toBe(one.accumulator.usersInBothArms);
  });
});
