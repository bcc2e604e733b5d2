import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';

describe('what a new user meets first', () => {
  it('an unknown --env lists the environments with a did-you-mean', async () => {
    const result = await runCli(['decide', '--env', 'prod', '--user', 'a']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'environments/prod.yaml:1:1: file not found: environment "prod" does not exist; known environments: development, production, staging (did you mean "production"?)\n',
    );
  });

  it('a config directory that does not exist is named as such', async () => {
    const decide = await runCli(['decide', '--config-dir', 'no-such-dir', '--user', 'a']);
    expect(decide.stderr).toMatch(
      /^config directory no-such-dir does not exist \(give --config-dir/,
    );
    const validate = await runCli(['validate', '--config-dir', 'no-such-dir']);
    expect(validate.stderr).toMatch(/^config directory no-such-dir does not exist/);
    expect(validate.code).toBe(1);
  });

  it('--env help states its default once', async () => {
    const help = (await runCli(['decide', '--help'])).stdout;
    expect(help.match(/\(default:/g)?.length).toBe(2); // --env and --config-dir, once each
    expect(help).toContain('$FLAGROUTE_ENV, else');
  });

  it('validate counts files in good English', async () => {
    const temp = await tempConfigDir({ 'environments/only.yaml': 'rollout_percentage: 5\n' });
    const result = await runCli(['validate'], { cwd: temp.dir });
    expect(result.stdout).toBe('ok: 1 file valid (environments/only.yaml)\n');
  });

  it('the shipped staging environment evaluates the rule files', async () => {
    const result = await runCli([
      'explain',
      '--env',
      'staging',
      '--user',
      'bob',
      '--query-type',
      'clinical',
    ]);
    expect(result.stdout).toContain(
      'ok 5. conditional rules: eligible (rules combine with OR): complex_queries did not match {}; metabolomics_queries matched {"queryType":"clinical"}',
    );
  });

  it('--attr passes typed facts to json-rules-engine rules', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml':
        'rollout_percentage: 100\nenable_conditional_routing: true\nrule_files: [rules/plan.yaml]\n',
      'rules/plan.yaml':
        'routing_rules:\n  big_pro:\n    conditions:\n      all:\n        - {fact: plan, operator: equal, value: pro}\n        - {fact: seats, operator: greaterThan, value: 10}\n        - {fact: beta, operator: equal, value: true}\n',
    });
    const decide = (attrs: string[]) =>
      runCli(['decide', '--user', 'a', '--json', ...attrs.flatMap((attr) => ['--attr', attr])], {
        cwd: temp.dir,
      });
    const yes = JSON.parse((await decide(['plan=pro', 'seats=40', 'beta=true'])).stdout);
    expect(yes).toMatchObject({ backend: 'lightrag' });
    const no = JSON.parse((await decide(['plan=pro', 'seats=4', 'beta=true'])).stdout);
    expect(no).toMatchObject({ backend: 'perplexity', reason: 'conditional_rule' });
    const bad = await decide(['plan']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--attr takes key=value, got "plan"');
  });
});
