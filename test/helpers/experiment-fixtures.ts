import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutcomeEvent } from '../../src/outcomes/index.js';

/** The event logs and scipy references of test/fixtures/experiment (see generate.py there). */
export const EXPERIMENT_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'experiment');

/** The events of one fixture event log (`clear-winner`, `no-difference`, `srm`). */
export function fixtureEvents(name: string): OutcomeEvent[] {
  return readFileSync(join(EXPERIMENT_FIXTURES, `${name}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as OutcomeEvent);
}

/** The statistics every metric of a report carries (the issue's `--json` shape). */
export const METRIC_STATISTICS = [
  'n',
  'mean',
  'estimate',
  'ci',
  'p_value',
  'p_value_holm',
  'df',
  'relative',
  'relative_ci',
  'cohens_d',
  'mde',
  'chance_to_win',
  'sequential_ci',
] as const;
