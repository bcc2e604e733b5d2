import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../src/config/issues.js';
import { loadConfig } from '../../src/config/load-config.js';
import { tempConfigDir } from '../helpers/config-dir.js';

const FILE = 'rollout_percentage: 10\nenable_ab_testing: true\nrule_files: [rules/r.yaml]\n';
const RULES =
  'routing_rules:\n  long: { type: query_length, min_length: 100 }\ngeographic_routing:\n  eu: { rollout_percentage: 5 }\n';

async function load(env: Record<string, string>) {
  const temp = await tempConfigDir({
    'environments/development.yaml': FILE,
    'rules/r.yaml': RULES,
  });
  return loadConfig({ configDir: temp.dir, env, cwd: temp.dir });
}

async function problems(env: Record<string, string>) {
  try {
    await load(env);
  } catch (error) {
    return (error as ConfigError).issues.map(formatIssue);
  }
  throw new Error('expected a ConfigError');
}

describe('LIGHTRAG_* variables', () => {
  it('override the file, which overrides the defaults', async () => {
    const config = await load({
      LIGHTRAG_ROLLOUT_PERCENTAGE: '25.5',
      LIGHTRAG_CIRCUIT_BREAKER_FAILURE_THRESHOLD: '7',
      LIGHTRAG_FORCE_USER_COHORT: 'perplexity',
      LIGHTRAG_USER_HASH_SALT: 's3cret',
      LIGHTRAG_LOG_LEVEL: 'DEBUG',
    });
    expect(config.settings.rollout_percentage).toBe(25.5);
    expect(config.origins.get('rollout_percentage')).toBe('LIGHTRAG_ROLLOUT_PERCENTAGE');
    expect(config.settings.circuit_breaker_threshold).toBe(7);
    expect(config.settings.force_user_cohort).toBe('perplexity');
    expect(config.settings.user_hash_salt).toBe('s3cret');
    expect(config.settings.log_level).toBe('debug');
    expect(config.settings.enable_ab_testing).toBe(true);
    expect(config.origins.get('enable_ab_testing')).toBe('environments/development.yaml:2');
    expect(config.origins.get('min_quality_threshold')).toBe('default');
  });

  it.each([
    ['true', true],
    ['FALSE', false],
    ['1', true],
    ['0', false],
    ['Yes', true],
    ['no', false],
    ['ON', true],
    ['off', false],
  ])('read the boolean %s as %s', async (raw, expected) => {
    const config = await load({ LIGHTRAG_ENABLE_AB_TESTING: raw });
    expect(config.settings.enable_ab_testing).toBe(expected);
  });

  it.each(['null', 'None', ''])('read the forced cohort %j as none', async (raw) => {
    const config = await load({ LIGHTRAG_FORCE_USER_COHORT: raw });
    expect(config.settings.force_user_cohort).toBeNull();
  });

  it.each([
    [
      'LIGHTRAG_ROLLOUT_PERCENTAGE',
      'abc',
      'LIGHTRAG_ROLLOUT_PERCENTAGE: "abc" is not allowed for rollout_percentage; it must be a number from 0 to 100',
    ],
    [
      'LIGHTRAG_ROLLOUT_PERCENTAGE',
      '150',
      'LIGHTRAG_ROLLOUT_PERCENTAGE: "150" is not allowed for rollout_percentage; it must be a number from 0 to 100',
    ],
    [
      'LIGHTRAG_ENABLE_AB_TESTING',
      'maybe',
      'LIGHTRAG_ENABLE_AB_TESTING: "maybe" is not allowed for enable_ab_testing; it must be true/false, 1/0, yes/no or on/off (any case)',
    ],
    [
      'LIGHTRAG_CIRCUIT_BREAKER_FAILURE_THRESHOLD',
      '2.5',
      'LIGHTRAG_CIRCUIT_BREAKER_FAILURE_THRESHOLD: "2.5" is not allowed for circuit_breaker_threshold; it must be a whole number from 1 to 10000',
    ],
    [
      // A time in seconds, as the Python service reads it: the message says the unit.
      'LIGHTRAG_CIRCUIT_BREAKER_RECOVERY_TIMEOUT',
      '5m',
      'LIGHTRAG_CIRCUIT_BREAKER_RECOVERY_TIMEOUT: "5m" is not allowed for circuit_breaker_recovery_timeout; it must be a whole number of seconds from 1 to 86400 (a day), such as 300 for five minutes',
    ],
    [
      'LIGHTRAG_MIN_QUALITY_THRESHOLD',
      '1.5',
      'LIGHTRAG_MIN_QUALITY_THRESHOLD: "1.5" is not allowed for min_quality_threshold; it must be a number from 0 to 1',
    ],
    [
      'LIGHTRAG_FORCE_USER_COHORT',
      'gpt',
      'LIGHTRAG_FORCE_USER_COHORT: "gpt" is not allowed for force_user_cohort; it must be one of "lightrag", "perplexity", null',
    ],
    [
      'LIGHTRAG_LOG_LEVEL',
      'loud',
      'LIGHTRAG_LOG_LEVEL: "loud" is not allowed for log_level; it must be one of "trace", "debug", "info", "warn", "error", "fatal", "silent"',
    ],
  ])(
    'reject %s=%s naming the variable, value and what is allowed',
    async (variable, raw, message) => {
      expect(await problems({ [variable]: raw })).toEqual([message]);
    },
  );

  it('accept LIGHTRAG_ROUTING_RULES as JSON in the guide shape, replacing the files rules', async () => {
    const config = await load({
      LIGHTRAG_ROUTING_RULES: JSON.stringify({
        metabolomics_queries: { type: 'query_type', allowed_types: ['metabolomics', 'clinical'] },
      }),
    });
    expect(config.routingRules.map((rule) => [rule.name, rule.origin])).toEqual([
      ['metabolomics_queries', 'LIGHTRAG_ROUTING_RULES'],
    ]);
    expect(config.geographicRouting.map((region) => region.region)).toEqual(['eu']);
  });

  it('reject malformed LIGHTRAG_ROUTING_RULES with the variable and the JSON pointer', async () => {
    expect(
      await problems({
        LIGHTRAG_ROUTING_RULES: '{"x": {"type": "query_length", "min_length": -1}}',
      }),
    ).toEqual([
      'LIGHTRAG_ROUTING_RULES/x/min_length: min_length must be a whole number of at least 0, got -1',
    ]);
    const [syntax] = await problems({ LIGHTRAG_ROUTING_RULES: '{not json' });
    expect(syntax).toBe(
      'LIGHTRAG_ROUTING_RULES: "{not json" is not valid JSON (expected a property name in double quotes at column 2); it must be a JSON object like the routing_rules section of a rule file',
    );
  });

  it('report every bad variable together with the file problems', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml': 'rollout_percentage: 500\n',
    });
    try {
      await loadConfig({
        configDir: temp.dir,
        env: { LIGHTRAG_ENABLE_AB_TESTING: 'x', LIGHTRAG_ROLLOUT_PERCENTAGE: '-1' },
        cwd: temp.dir,
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((issue) => issue.variable ?? issue.file)).toEqual([
        'environments/development.yaml',
        'LIGHTRAG_ROLLOUT_PERCENTAGE',
        'LIGHTRAG_ENABLE_AB_TESTING',
      ]);
    }
  });
});
