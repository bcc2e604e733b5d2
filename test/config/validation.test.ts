import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../src/config/issues.js';
import { loadConfig } from '../../src/config/load-config.js';
import { validateConfigDir } from '../../src/config/validate-config-dir.js';
import { MAX_CONFIG_FILE_BYTES } from '../../src/config/yaml-file.js';
import { REPO_DIR, type TempConfigDir, tempConfigDir } from '../helpers/config-dir.js';

let temp: TempConfigDir | undefined;

async function problemsOf(files: Record<string, string>, environment = 'development') {
  temp = await tempConfigDir(files);
  try {
    await loadConfig({ configDir: temp.dir, environment, env: {}, cwd: temp.dir });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map(formatIssue);
  }
  throw new Error('expected the configuration to be rejected');
}

describe('shipped configuration', () => {
  it('validates every file', async () => {
    const report = await validateConfigDir({ configDir: REPO_DIR, env: {} });
    expect(report.issues).toEqual([]);
    expect(report.files).toHaveLength(6);
  });

  it.each([
    ['development', 100, false, 10, 0.5],
    ['staging', 50, true, 5, 0.7],
    ['production', 10, true, 3, 0.8],
  ])('%s carries the guide scenario', async (environment, rollout, ab, threshold, quality) => {
    const config = await loadConfig({ configDir: REPO_DIR, environment, env: {} });
    expect(config.settings.rollout_percentage).toBe(rollout);
    expect(config.settings.enable_ab_testing).toBe(ab);
    expect(config.settings.circuit_breaker_threshold).toBe(threshold);
    expect(config.settings.min_quality_threshold).toBe(quality);
    expect(config.routingRules.map((rule) => rule.name)).toEqual([
      'complex_queries',
      'metabolomics_queries',
    ]);
    expect(
      config.geographicRouting.map((region) => [region.region, region.rolloutPercentage]),
    ).toEqual([
      ['us_east', 25],
      ['us_west', 15],
      ['europe', 10],
    ]);
  });
});

describe("the guide's config/environments.yaml blocks", () => {
  it.each([
    [
      'development',
      'rollout_percentage: 100.0\nenable_ab_testing: false\ncircuit_breaker_threshold: 10\n',
      100,
      10,
    ],
    [
      'staging',
      'rollout_percentage: 50.0\nenable_ab_testing: true\ncircuit_breaker_threshold: 5\n',
      50,
      5,
    ],
    [
      'production',
      'rollout_percentage: 10.0\nenable_ab_testing: true  \ncircuit_breaker_threshold: 3\n',
      10,
      3,
    ],
  ])('%s loads as a whole file, the rest from defaults', async (name, body, rollout, threshold) => {
    temp = await tempConfigDir({ [`environments/${name}.yaml`]: body });
    const config = await loadConfig({
      configDir: temp.dir,
      environment: name,
      env: {},
      cwd: temp.dir,
    });
    expect(config.settings.rollout_percentage).toBe(rollout);
    expect(config.settings.circuit_breaker_threshold).toBe(threshold);
    expect(config.settings.integration_enabled).toBe(true);
    expect(config.settings.user_hash_salt).toBe('default_salt');
    expect(config.settings.circuit_breaker_recovery_timeout).toBe(300);
    expect(config.settings.min_quality_threshold).toBe(0.7);
    expect(config.settings.force_user_cohort).toBeNull();
    expect(config.settings.rollback_triggers).toMatchObject({
      error_rate: 0.05,
      min_quality: 0.6,
      response_time_seconds: 10,
    });
    expect(
      config.settings.rollout_plan.stages.map((stage) => [stage.percentage, stage.hold]),
    ).toEqual([
      [5, '1h'],
      [15, '2h'],
      [30, '4h'],
      [50, '8h'],
      [100, '1h'],
    ]);
    expect(config.origins.get('rollout_percentage')).toBe(`environments/${name}.yaml:1`);
    expect(config.origins.get('log_level')).toBe('default');
  });

  it("a shadow stage loads with its defaults: 100 % of the queries Perplexity serves, 500 pairs; its percentage is the shadow's share and stays out of the increasing order", async () => {
    temp = await tempConfigDir({
      'environments/development.yaml':
        'rollout_plan:\n  stages:\n    - { shadow: true, hold: 1h }\n    - { percentage: 5, hold: 1h }\n    - { percentage: 10, hold: 1h }\n',
      'environments/staging.yaml':
        'rollout_plan:\n  stages:\n    - { shadow: true, percentage: 30, hold: 2h, min_pairs: 50 }\n    - { percentage: 5, hold: 1h }\n',
    });
    const load = (environment: string) =>
      loadConfig({ configDir: temp!.dir, environment, env: {}, cwd: temp!.dir });
    const [first, second] = (await load('development')).settings.rollout_plan.stages;
    expect(first).toMatchObject({ shadow: true, percentage: 100, min_pairs: 500, hold: '1h' });
    expect(second).toMatchObject({ shadow: false, percentage: 5 });
    expect(second!.min_pairs).toBeUndefined();
    expect((await load('staging')).settings.rollout_plan.stages[0]).toMatchObject({
      shadow: true,
      percentage: 30,
      min_pairs: 50,
    });
  });
});

describe('bad input is reported with file, line, column and what is allowed', () => {
  const env = 'environments/development.yaml';
  it.each([
    [
      'YAML syntax error',
      'rollout_percentage: [10\nenable_ab_testing: true\n',
      [
        /^environments\/development\.yaml:2:1: YAML syntax error: Flow sequence in block collection/,
      ],
    ],
    [
      'duplicate key',
      'rollout_percentage: 10\nrollout_percentage: 20\n',
      [`${env}:2:1: duplicate key: Map keys must be unique`],
    ],
    [
      'wrong type',
      'enable_ab_testing: "yes"\n',
      [
        `${env}:1:20: enable_ab_testing must be true or false, got "yes" (YAML 1.2 reads "yes" as text; write true or false)`,
      ],
    ],
    [
      'rollout 150',
      'rollout_percentage: 150\n',
      [`${env}:1:21: rollout_percentage must be a number from 0 to 100, got 150`],
    ],
    [
      'threshold 0',
      'circuit_breaker_threshold: 0\n',
      [`${env}:1:28: circuit_breaker_threshold must be a whole number from 1 to 10000, got 0`],
    ],
    [
      'quality 1.5',
      'min_quality_threshold: 1.5\n',
      [`${env}:1:24: min_quality_threshold must be a number from 0 to 1, got 1.5`],
    ],
    [
      'unknown forced cohort',
      'force_user_cohort: gpt\n',
      [`${env}:1:20: force_user_cohort must be one of "lightrag", "perplexity", null, got "gpt"`],
    ],
    [
      'misspelt key',
      'integration_enabled: true\nrolout_percentage: 10\n',
      [`${env}:2:1: unknown key "rolout_percentage" (did you mean "rollout_percentage"?)`],
    ],
    [
      'nested misspelt key',
      'rollback_triggers:\n  error_rat: 0.1\n',
      [`${env}:2:3: unknown key "error_rat" (did you mean "error_rate"?)`],
    ],
    [
      'empty file',
      '# nothing here\n',
      [`${env}:1:1: file is empty; it must hold a mapping of keys`],
    ],
    [
      '__proto__ key',
      'rollout_percentage: 10\n__proto__:\n  polluted: true\n',
      [`${env}:2:1: key "__proto__" is not allowed (it could alter object prototypes)`],
    ],
    [
      'constructor key',
      'rollback_triggers:\n  constructor: 1\n',
      [`${env}:2:3: key "constructor" is not allowed (it could alter object prototypes)`],
    ],
    [
      'alias bomb',
      'a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n',
      [
        /^environments\/development\.yaml:2:8: aliases expand too much .*at most 100 alias expansions are allowed$/,
      ],
    ],
    [
      'stages out of order',
      'rollout_plan:\n  stages:\n    - { percentage: 20, hold: 1h }\n    - { percentage: 10, hold: 1h }\n',
      [`${env}:4:21: stage percentages must increase: 10 follows 20`],
    ],
    [
      'a shadow stage after the first',
      'rollout_plan:\n  stages:\n    - { percentage: 10, hold: 1h }\n    - { shadow: true, hold: 1h }\n',
      [
        `${env}:4:17: a shadow stage must be the first stage (it proves LightRAG before any user is served it); this is stage 2`,
      ],
    ],
    [
      'a plan of only a shadow stage',
      'rollout_plan:\n  stages:\n    - { shadow: true, hold: 1h }\n',
      [
        `${env}:3:17: a shadow stage must be followed by a stage that serves users (a plan that only shadows never ends; use flagroute rollout shadow)`,
      ],
    ],
    [
      'min_pairs on a stage that serves users',
      'rollout_plan:\n  stages:\n    - { percentage: 10, hold: 1h, min_pairs: 5 }\n',
      [
        `${env}:3:35: min_pairs counts shadow pairs and applies only to a shadow stage (shadow: true); a stage that serves users counts min_units`,
      ],
    ],
    [
      'min_units on a shadow stage',
      'rollout_plan:\n  stages:\n    - { shadow: true, hold: 1h, min_units: 5 }\n    - { percentage: 10, hold: 1h }\n',
      [
        `${env}:3:33: min_units counts users per arm, and a shadow stage serves LightRAG to no user: give min_pairs (the pairs it needs) instead`,
      ],
    ],
    [
      'approval on a shadow stage (nothing advances into it: starting the plan is its approval)',
      'rollout_plan:\n  stages:\n    - { shadow: true, hold: 1h, approval: true }\n    - { percentage: 10, hold: 1h }\n',
      [
        `${env}:3:33: approval holds the plan for a person before it advances into a stage, and no stage advances into the first (flagroute rollout plan start enters it, and is that approval), so here it would ask nothing; to have a person approve the first users on LightRAG, set approval: true on stage 2`,
      ],
    ],
    [
      'approval on a first stage that serves users (starting the plan is its approval too)',
      'rollout_plan:\n  stages:\n    - { percentage: 5, hold: 1h, approval: true }\n    - { percentage: 10, hold: 1h }\n',
      [
        `${env}:3:34: approval holds the plan for a person before it advances into a stage, and no stage advances into the first (flagroute rollout plan start enters it, and is that approval), so here it would ask nothing; to have a person approve the step to stage 2, set approval: true on stage 2`,
      ],
    ],
    [
      'a stage that serves users without its percentage',
      'rollout_plan:\n  stages:\n    - { hold: 1h }\n',
      [`${env}:3:7: "stages[0]" is missing the required key "percentage"`],
    ],
    [
      'min_pairs of 0',
      'rollout_plan:\n  stages:\n    - { shadow: true, hold: 1h, min_pairs: 0 }\n    - { percentage: 10, hold: 1h }\n',
      [`${env}:3:44: min_pairs must be a whole number from 1 to 1000000000, got 0`],
    ],
    [
      'bad duration',
      'rollout_plan:\n  stages:\n    - { percentage: 20, hold: soon }\n',
      [
        `${env}:3:31: hold must be a positive duration such as 30s, 15m, 1h or 2d (a whole number of ms, s, m, h or d), got "soon"`,
      ],
    ],
    [
      'hold 0',
      'rollout_plan:\n  stages:\n    - { percentage: 20, hold: 0h }\n',
      [
        `${env}:3:31: hold must be a positive duration such as 30s, 15m, 1h or 2d (a whole number of ms, s, m, h or d), got "0h"`,
      ],
    ],
    [
      'unknown guardrail metric',
      'rollout_plan:\n  guardrails:\n    metrics: [quality_score, speed]\n',
      [/^environments\/development\.yaml:3:30: .*speed.*/],
    ],
    [
      'unknown metric in a guardrail with its own margin',
      'rollout_plan:\n  guardrails:\n    metrics: [{ metric: speed, margin: { absolute: 1 } }]\n',
      [
        `${env}:3:25: metric must be one of "response_time", "success_rate", "quality_score", "cost_per_query", "satisfaction", got "speed"`,
      ],
    ],
    [
      'a margin both relative and absolute',
      'rollout_plan:\n  guardrails:\n    metrics: [{ metric: quality_score, margin: { relative: 0.1, absolute: 0.1 } }]\n',
      [
        /^environments\/development\.yaml:3:\d+: margin .*use one of \{relative: 0\.05\}.* or \{absolute: 0\.01\}/,
      ],
    ],
    [
      'an unknown guardrail action',
      'rollout_plan:\n  guardrails:\n    actions:\n      error_rate: { action: explode }\n',
      [
        `${env}:4:29: action must be one of "hold", "pause", "step_down", "roll_back", got "explode"`,
      ],
    ],
    [
      'for: 0 looks',
      'rollout_plan:\n  guardrails:\n    actions:\n      regression: { action: pause, for: 0 }\n',
      [/^environments\/development\.yaml:4:\d+: for must be a whole number from 1 to 1000, got 0/],
    ],
    [
      'the old name of hold',
      'rollout_plan:\n  stages:\n    - { percentage: 20, monitor: 1h }\n',
      [
        `${env}:3:7: "stages[0]" is missing the required key "hold"`,
        /^environments\/development\.yaml:3:25: unknown key "monitor"; known keys: percentage, hold,/,
      ],
    ],
  ])('%s', async (_name, body, expected) => {
    const problems = await problemsOf({ [env]: body });
    expect(problems).toHaveLength(expected.length);
    expected.forEach((pattern, index) => {
      if (typeof pattern === 'string') expect(problems[index]).toBe(pattern);
      else expect(problems[index]).toMatch(pattern);
    });
  });

  it('reports a file over 1 MiB without parsing it', async () => {
    const problems = await problemsOf({ [env]: `# ${'x'.repeat(MAX_CONFIG_FILE_BYTES)}\n` });
    expect(problems).toEqual([
      `${env}:1:1: file is ${MAX_CONFIG_FILE_BYTES + 3} bytes; the limit is ${MAX_CONFIG_FILE_BYTES} bytes (1 MiB)`,
    ]);
  });

  it('reports a missing environment file', async () => {
    const problems = await problemsOf(
      { 'environments/staging.yaml': 'rollout_percentage: 1\n' },
      'production',
    );
    expect(problems).toEqual([
      'environments/production.yaml:1:1: file not found: environment "production" does not exist; known environments: staging',
    ]);
  });

  it('reports a reference to a rule file that does not exist', async () => {
    const problems = await problemsOf({
      [env]: 'rule_files:\n  - rules/present.yaml\n  - rules/absent.yaml\n',
      'rules/present.yaml': 'geographic_routing: {}\n',
    });
    expect(problems).toEqual([
      `${env}:3:5: rule file "rules/absent.yaml" does not exist (looked for rules/absent.yaml)`,
    ]);
  });

  it('reports a rule or region named again in a later rule file, or a file named twice', async () => {
    const problems = await problemsOf({
      [env]: 'rule_files: [rules/a.yaml, rules/b.yaml, rules/c.yaml, rules/c.yaml]\n',
      'rules/a.yaml': 'routing_rules:\n  r1: {type: query_type, allowed_types: [x]}\n',
      'rules/b.yaml': 'geographic_routing:\n  eu: {rollout_percentage: 5}\n',
      'rules/c.yaml':
        'routing_rules:\n  r2: {type: query_type, allowed_types: [x]}\n  r1: {type: query_type, allowed_types: [y]}\ngeographic_routing:\n  eu: {rollout_percentage: 6}\n',
    });
    // The second reading of c.yaml meets its own r2, and the r1 and eu of a.yaml and b.yaml
    // (its first reading's were refused, so never defined).
    expect(problems).toEqual([
      `${env}:1:13: rule_files lists the same item twice (items 4 and 3)`,
      'rules/c.yaml:2:3: rule "r2" is already defined at rules/c.yaml:2',
      'rules/c.yaml:3:3: rule "r1" is already defined at rules/a.yaml:2',
      'rules/c.yaml:3:3: rule "r1" is already defined at rules/a.yaml:2',
      'rules/c.yaml:5:3: region "eu" is already defined at rules/b.yaml:2',
      'rules/c.yaml:5:3: region "eu" is already defined at rules/b.yaml:2',
    ]);
  });

  it('reports rule file problems at their own position', async () => {
    const problems = await problemsOf({
      [env]: 'rule_files: [rules/bad.yaml]\n',
      'rules/bad.yaml': [
        'routing_rules:',
        '  r1:',
        '    type: query_size',
        '  r2:',
        '    type: query_length',
        '    min_length: 10',
        '    max_length: 5',
        '  r3:',
        '    type: query_type',
        '    allowed_typs: [a]',
        '  r4:',
        '    conditions:',
        '      all:',
        '        - fact: queryType',
        '          value: x',
        'geographic_routing:',
        '  eu: { rollout_percentage: 101 }',
        '',
      ].join('\n'),
    });
    expect(problems).toEqual([
      'rules/bad.yaml:3:11: type must be one of "query_length", "query_type", got "query_size" (did you mean "query_type"?)',
      'rules/bad.yaml:9:5: "r3" is missing the required key "allowed_types"',
      'rules/bad.yaml:10:5: unknown key "allowed_typs" (did you mean "allowed_types"?)',
      'rules/bad.yaml:17:29: rollout_percentage must be a number from 0 to 100, got 101',
    ]);
  });

  it('reports min_length above max_length and rules json-rules-engine rejects', async () => {
    temp = await tempConfigDir({
      [env]: 'rule_files: [rules/r.yaml]\n',
      'rules/r.yaml':
        'routing_rules:\n  r2:\n    type: query_length\n    min_length: 10\n    max_length: 5\n',
    });
    const report = await validateConfigDir({ configDir: temp.dir, env: {}, cwd: temp.dir });
    expect(report.issues.map(formatIssue)).toEqual([
      'rules/r.yaml:5:17: max_length (5) must be at least min_length (10)',
    ]);
  });

  it('reports every problem of every file in one run', async () => {
    temp = await tempConfigDir({
      'environments/development.yaml': 'rollout_percentage: 150\n',
      'environments/staging.yaml': 'enable_ab_testing: maybe\nrule_files: [rules/missing.yaml]\n',
      'rules/extra.yaml': 'routing_rules:\n  x: { type: nope }\n',
    });
    const report = await validateConfigDir({
      configDir: temp.dir,
      env: { LIGHTRAG_ROLLOUT_PERCENTAGE: 'abc' },
      cwd: temp.dir,
    });
    expect(report.issues.map(formatIssue)).toEqual([
      'environments/development.yaml:1:21: rollout_percentage must be a number from 0 to 100, got 150',
      'environments/staging.yaml:1:20: enable_ab_testing must be true or false, got "maybe"',
      'environments/staging.yaml:2:14: rule file "rules/missing.yaml" does not exist (looked for rules/missing.yaml)',
      'rules/extra.yaml:2:14: type must be one of "query_length", "query_type", got "nope"',
      'LIGHTRAG_ROLLOUT_PERCENTAGE: "abc" is not allowed for rollout_percentage; it must be a number from 0 to 100',
    ]);
    for (const issue of report.issues.slice(0, 4)) {
      expect(issue).toMatchObject({
        file: expect.any(String),
        line: expect.any(Number),
        column: expect.any(Number),
        pointer: expect.any(String),
      });
    }
  });

  it('does not pollute prototypes', async () => {
    await problemsOf({ [env]: '__proto__:\n  polluted: true\n' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
