import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';

const BODY = `rollout_percentage: 20
enable_ab_testing: true
user_hash_salt: shadow-cli-salt
rollback_triggers: {enabled: false}
`;

describe('the shadow from the command line', () => {
  it('flagroute rollout shadow sets a shadow stage in the runtime layer; decide and explain show the shadow; rollout set ends it', async () => {
    const { dir } = await tempConfigDir({ 'environments/development.yaml': BODY });
    const on = ['--config-dir', dir, '--env', 'development'];
    const set = await runCli(['rollout', 'shadow', '100', '--reason', 'shadow first', ...on]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(
      'shadow 100 % of the queries Perplexity serves, rollout 20 % -> 0 %',
    );
    const file = readFileSync(join(dir, 'environments', 'development.yaml'), 'utf8');
    expect(file).toMatch(/runtime:\n(.*\n)*\s+shadow_percentage: 100/);

    const decided = await runCli([
      'decide',
      '--user',
      'alice',
      '--request',
      'r-1',
      '--json',
      ...on,
    ]);
    expect(decided.code).toBe(0);
    expect(JSON.parse(decided.stdout)).toMatchObject({
      backend: 'perplexity',
      rolloutPercentage: 0,
      shadow: 'lightrag',
    });
    const explained = await runCli(['explain', '--user', 'alice', '--request', 'r-1', ...on]);
    expect(explained.stdout).toMatch(/shadow draw \d+\.\d{4} within 100 %: picked for the shadow/);
    expect(explained.stdout).toContain('shadow lightrag');

    const status = await runCli(['status', ...on]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      'shadow: 100 % of the eligible queries Perplexity serves [runtime]',
    );
    expect(status.stdout).toMatch(/ {2}runtime: 0 %, shadow 100 % \[set by operator/);
    const json = await runCli(['status', '--json', ...on]);
    expect(JSON.parse(json.stdout).shadow).toEqual({ percentage: 100, layer: 'runtime' });

    const back = await runCli(['rollout', 'set', '20', '--reason', 'stage 1', ...on]);
    expect(back.code).toBe(0);
    const after = await runCli(['decide', '--user', 'alice', '--request', 'r-1', '--json', ...on]);
    expect(JSON.parse(after.stdout).shadow).toBeUndefined();
    const ended = await runCli(['status', ...on]);
    expect(ended.stdout).toContain(
      'shadow: 0 % of the eligible queries Perplexity serves [shadow.percentage]',
    );
  });
});
