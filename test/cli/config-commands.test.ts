import { describe, expect, it } from 'vitest';
import { type TempConfigDir, tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';

let temp: TempConfigDir | undefined;

describe('flagroute validate', () => {
  it('passes on the shipped configuration', async () => {
    const result = await runCli(['validate']);
    expect(result.stdout).toMatch(/^ok: 6 files valid/);
    expect(result.code).toBe(0);
  });

  it('lists every problem with file:line:column and exits 1', async () => {
    temp = await tempConfigDir({
      'environments/development.yaml': 'rolout_percentage: 10\nmin_quality_threshold: 1.5\n',
      'rules/r.yaml': 'routing_rules:\n  x: { type: nope }\n',
    });
    const result = await runCli(['validate', '--config-dir', temp.dir], { cwd: temp.dir });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      'environments/development.yaml:1:1: unknown key "rolout_percentage" (did you mean "rollout_percentage"?)',
      'environments/development.yaml:2:24: min_quality_threshold must be a number from 0 to 1, got 1.5',
      'rules/r.yaml:2:14: type must be one of "query_length", "query_type", got "nope"',
      '3 problems found',
      '',
    ]);
  });

  it('prints machine-readable problems with --json', async () => {
    temp = await tempConfigDir({ 'environments/development.yaml': 'rollout_percentage: 150\n' });
    const result = await runCli(['validate', '--config-dir', '.', '--json'], { cwd: temp.dir });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        code: 'SCHEMA',
        file: 'environments/development.yaml',
        line: 1,
        column: 21,
        pointer: '/rollout_percentage',
        message: 'rollout_percentage must be a number from 0 to 100, got 150',
        allowed: 'a number from 0 to 100',
      },
    ]);
  });

  it('checks the LIGHTRAG_* variables too', async () => {
    const result = await runCli(['validate'], { env: { LIGHTRAG_ROLLOUT_PERCENTAGE: '150' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'LIGHTRAG_ROLLOUT_PERCENTAGE: "150" is not allowed for rollout_percentage; it must be a number from 0 to 100',
    );
  });

  it('warns about a LIGHTRAG_* variable it does not read, with a did-you-mean', async () => {
    const result = await runCli(['validate'], {
      env: { LIGHTRAG_ROLLOUT_PERCENT: '50', LIGHTRAG_SOMETHING_ELSE: 'x' },
    });
    // A warning: the files are still valid, and the variable is ignored.
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok: 6 files valid/);
    expect(result.stderr.split('\n')).toEqual([
      'warning: LIGHTRAG_ROLLOUT_PERCENT is not a variable flagroute reads (did you mean LIGHTRAG_ROLLOUT_PERCENTAGE?); it is ignored (the variables are listed in docs/configuration.md)',
      'warning: LIGHTRAG_SOMETHING_ELSE is not a variable flagroute reads; it is ignored (the variables are listed in docs/configuration.md)',
      '',
    ]);
  });
});

describe('flagroute config', () => {
  it('shows each effective value with its origin and masks the salt', async () => {
    const result = await runCli(['config', '--env', 'production'], {
      env: { LIGHTRAG_ROLLOUT_PERCENTAGE: '12', LIGHTRAG_USER_HASH_SALT: 'top-secret-salt' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^rollout_percentage\s+12\s+\[LIGHTRAG_ROLLOUT_PERCENTAGE\]$/m);
    expect(result.stdout).toMatch(
      /^circuit_breaker_threshold\s+3\s+\[environments\/production\.yaml:7\]$/m,
    );
    expect(result.stdout).toMatch(/^log_level\s+"info"\s+\[environments\/production\.yaml:13\]$/m);
    expect(result.stdout).toMatch(/^quality_gate\.window_size\s+100\s+\[default\]$/m);
    expect(result.stdout).toMatch(
      /^user_hash_salt\s+"\*\*\*\*\*\* \(15 characters\)"\s+\[LIGHTRAG_USER_HASH_SALT\]$/m,
    );
    expect(result.stdout + result.stderr).not.toContain('top-secret-salt');
  });

  it('chooses the environment from FLAGROUTE_ENV and prints JSON', async () => {
    const result = await runCli(['config', '--json'], { env: { FLAGROUTE_ENV: 'staging' } });
    const parsed = JSON.parse(result.stdout);
    expect(parsed.environment).toBe('staging');
    expect(parsed.settings.rollout_percentage).toEqual({
      value: 50,
      origin: 'environments/staging.yaml:4',
    });
    expect(parsed.geographic_routing.map((region: { region: string }) => region.region)).toEqual([
      'us_east',
      'us_west',
      'europe',
    ]);
  });

  it('defaults to development', async () => {
    const parsed = JSON.parse((await runCli(['config', '--json'])).stdout);
    expect(parsed.environment).toBe('development');
  });
});

describe('usage errors', () => {
  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['validate', '--bogus'], /unknown option '--bogus'/],
    [['decide'], /give --user or --session/],
    [['simulate', '--users', 'many'], /--users must be a whole number of at least 1, got "many"/],
    [
      ['decide', '--input', '/nonexistent/contexts.jsonl'],
      /^error: cannot read --input \/nonexistent\/contexts\.jsonl: no such file$/m,
    ],
    [
      ['decide', '--input', '/'],
      /^error: cannot read --input \/: it is a directory; name a file of JSON lines, or - for stdin$/m,
    ],
    [['rollout', 'set'], /missing required argument 'percentage'/],
  ])('%j exits 2 with a message', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('prints its version', async () => {
    const result = await runCli(['--version']);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(result.code).toBe(0);
  });

  it.each([
    ['validate'],
    ['config'],
    ['decide'],
    ['explain'],
    ['simulate'],
    ['watch'],
    ['rollback'],
    ['status'],
  ])('%s --help describes the command', async (command) => {
    const result = await runCli([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: flagroute ${command} \\[options\\]`));
  });
});
