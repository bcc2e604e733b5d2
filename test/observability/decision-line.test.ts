import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { RoutingContext } from '../../src/decision/types.js';
import { escapeJsonLine } from '../../src/log-escapes.js';
import { REDACTED_PATHS } from '../../src/logging.js';
import { decisionLine } from '../../src/router/decision-line.js';
import { routerIn } from '../helpers/test-router.js';

const ENVIRONMENT = [
  'rollout_percentage: 50',
  'enable_ab_testing: true',
  'enable_conditional_routing: true',
  'enable_detailed_logging: true',
  'log_level: debug',
  'rule_files: [rules/r.yaml]',
  '',
].join('\n');
const RULES = [
  'routing_rules:',
  '  long: {type: query_length, min_length: 5}',
  '  "types.v2": {type: query_type, allowed_types: [clinical, "qu\\"ote"]}',
  'geographic_routing:',
  '  us_east: {rollout_percentage: 25}',
  '',
].join('\n');

const contexts: RoutingContext[] = [
  {
    userId: 'alice',
    sessionId: 's-1',
    region: 'us_east',
    queryType: 'clinical',
    queryText: 'a long question',
  },
  { userId: 'bob', queryType: 'qu"ote', queryText: 'x' },
  { sessionId: 'only-a-session', region: 'mars \\ "red" \u2028 \ud800', queryText: 'hello there' },
  { userId: 'ünïcödé 𝄞', queryText: 'no' },
  {},
];

describe('the detailed decision line of the default logger', () => {
  it("is, byte for byte, what the default logger writes of pino's line for the decision object", async () => {
    // A caller's logger with the default logger's options: its lines go through pino.
    const lines: string[] = [];
    const logger = pino(
      { name: 'flagroute', level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[secret]' } },
      { write: (line: string) => lines.push(line) },
    );
    const { router } = await routerIn(
      { 'environments/development.yaml': ENVIRONMENT, 'rules/r.yaml': RULES },
      { logger, environment: 'development' },
    );
    const withoutTime = (line: string) => line.replace(/"time":\d+,/, '"time":0,');
    for (const context of contexts) {
      const decision = await router.decide(context);
      const built = decisionLine(decision, context);
      const written = lines.filter((line) => line.includes('"msg":"decision"')).at(-1)!;
      // The default logger's destination escapes pino's line as decisionLine escapes its own.
      expect(withoutTime(built)).toBe(withoutTime(escapeJsonLine(written)));
    }
    // Every kind of decision line was compared: stopped before assignment and assigned.
    const parsed = lines
      .filter((line) => line.includes('"msg":"decision"'))
      .map(
        (line) => JSON.parse(line).decision as { bucket: number | null; matchedRules: string[] },
      );
    expect(parsed.some((line) => line.bucket === null)).toBe(true);
    expect(parsed.some((line) => line.matchedRules.length === 3)).toBe(true);
  });
});
