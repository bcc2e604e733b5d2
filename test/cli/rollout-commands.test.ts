import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_REASON_LENGTH } from '../../src/rollout-layers/index.js';
import { type TempConfigDir, tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';

let temp: TempConfigDir | undefined;

const FILE = `# yaml-language-server: $schema=../schemas/environment.schema.json
# Production
rollout_percentage: 10.0 # week 1
enable_ab_testing: true # keep
`;

describe('flagroute rollout set / rollback / status', () => {
  it('edit the environment file in place and status shows the change', async () => {
    temp = await tempConfigDir({ 'environments/production.yaml': FILE });
    const set = await runCli(
      ['rollout', 'set', '25', '--env', 'production', '--reason', 'week 2'],
      { cwd: temp.dir },
    );
    expect(set.stdout).toBe(
      "environments/production.yaml: rollout 10 % -> 25 % (runtime layer, set by an operator: week 2); the file's rollout_percentage stays 10\n",
    );
    expect(set.code).toBe(0);
    const text = await readFile(join(temp.dir, 'environments/production.yaml'), 'utf8');
    expect(text.split('\n')).toEqual([
      '# yaml-language-server: $schema=../schemas/environment.schema.json',
      '# Production',
      'rollout_percentage: 10.0 # week 1',
      'enable_ab_testing: true # keep',
      'runtime:',
      '  rollout_percentage: 25',
      '  set_by: operator',
      '  reason: week 2',
      expect.stringMatching(/^ {2}at: \d{4}-\d\d-\d\dT[\d:.]+Z$/),
      '',
    ]);

    const status = await runCli(['status', '--env', 'production'], { cwd: temp.dir });
    expect(status.stdout).toMatch(
      /^rollout: 25 % \[runtime \(set by an operator at environments\/production\.yaml:5: week 2\)\]$/m,
    );
    expect(status.stdout).toMatch(/^ {2}file: 10 % \[environments\/production\.yaml:3\]$/m);
    expect(status.stdout).toMatch(/^last change: runtime layer set at .* by an operator: week 2$/m);

    const rollback = await runCli(['rollback', '--env', 'production'], { cwd: temp.dir });
    expect(rollback.stdout).toBe(
      `environments/production.yaml: kill switch set (manual rollback), 25 % -> 0 % in every region; the file's rollout_percentage stays 10, the runtime layer's 25 %: "flagroute rollout resume" returns to 25 %\n`,
    );
    const json = JSON.parse(
      (await runCli(['status', '--env', 'production', '--json'], { cwd: temp.dir })).stdout,
    );
    expect(json).toMatchObject({
      rolloutPercentage: 0,
      lastChange: expect.stringMatching(/manual rollback$/),
    });
  });

  it('refuse an out-of-range percentage and leave the file alone', async () => {
    temp = await tempConfigDir({ 'environments/production.yaml': FILE });
    const result = await runCli(['rollout', 'set', '150', '--env', 'production'], {
      cwd: temp.dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: percentage must be a number from 0 to 100, got "150"');
    expect(await readFile(join(temp.dir, 'environments/production.yaml'), 'utf8')).toBe(FILE);
  });

  it('refuse to edit a configuration that does not validate', async () => {
    temp = await tempConfigDir({
      'environments/production.yaml': 'rollout_percentage: 10\nbogus: 1\n',
    });
    const result = await runCli(['rollback', '--env', 'production'], { cwd: temp.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^environments\/production\.yaml:2:1: unknown key "bogus"; known keys: integration_enabled, /,
    );
    expect(await readFile(join(temp.dir, 'environments/production.yaml'), 'utf8')).toBe(
      'rollout_percentage: 10\nbogus: 1\n',
    );
  });
});

describe('flagroute rollout set 0', () => {
  it('is a rollback by hand, as updateRolloutPercentage(0) is (docs/configuration.md says why): the kill switch, trigger manual, saying so', async () => {
    temp = await tempConfigDir({ 'environments/production.yaml': FILE });
    const run = (...args: string[]) => runCli([...args, '--env', 'production'], { cwd: temp!.dir });
    await run('rollout', 'set', '25', '--reason', 'week 2');
    const zero = await run('rollout', 'set', '0', '--reason', 'drain for maintenance');
    expect(zero.code).toBe(0);
    expect(zero.stdout).toBe(
      `environments/production.yaml: kill switch set (drain for maintenance), 25 % -> 0 % in every region; the file's rollout_percentage stays 10, the runtime layer's 25 %: "flagroute rollout resume" returns to 25 %\n`,
    );
    const text = await readFile(join(temp.dir, 'environments/production.yaml'), 'utf8');
    expect(text).toMatch(
      /\nrollback:\n {2}at: [\dT:.Z-]+\n {2}reason: drain for maintenance\n {2}trigger: manual\n {2}previous_percentage: 25\n$/,
    );
    // The runtime layer stays beneath, so a clear leaves the kill switch, and says so.
    const clear = await run('rollout', 'clear', '--reason', 'back to the file');
    expect(clear.stdout).toBe(
      'environments/production.yaml: runtime layer cleared (back to the file): rollout 0 % -> 0 % [kill switch (environments/production.yaml)]\n',
    );
  });
});

describe('reasons on the command line, as the admin API takes them', () => {
  it("a reason with a control character or over 400 characters exits 2 with the API's words; nothing changes", async () => {
    const dir = await tempConfigDir({
      'environments/production.yaml': `rollout_percentage: 10
rollout_plan:
  stages:
    - { percentage: 5, hold: 1h }
`,
    });
    const before = await readFile(join(dir.dir, 'environments/production.yaml'), 'utf8');
    const long = 'x'.repeat(MAX_REASON_LENGTH + 1);
    const commands = [
      ['rollout', 'set', '20'],
      ['rollout', 'clear'],
      // No kill switch is set: resume changes nothing, and still refuses the reason.
      ['rollout', 'resume'],
      ['rollback'],
      ['rollout', 'plan', 'start'],
    ];
    const reasons = [
      [
        'stop \u001b[31mnow',
        'reason contains the control character U+001B; give one line of plain text',
      ],
      [
        long,
        `reason is ${MAX_REASON_LENGTH + 1} characters long; give at most ${MAX_REASON_LENGTH}`,
      ],
    ] as const;
    // Ten processes that each refuse before writing: run at once (one after another they took
    // 30 s on a loaded machine of two cores; each is independent of the others).
    await Promise.all(
      commands.flatMap((command) =>
        reasons.map(async ([reason, words]) => {
          const run = await runCli([...command, '--env', 'production', '--reason', reason], {
            cwd: dir.dir,
          });
          expect([run.code, run.stderr, run.stdout], command.join(' ')).toEqual([
            2,
            `error: ${words}\n`,
            '',
          ]);
        }),
      ),
    );
    expect(await readFile(join(dir.dir, 'environments/production.yaml'), 'utf8')).toBe(before);
    // A blank reason is no reason, as in the API: the command's own words say why.
    const blank = await runCli(['rollback', '--env', 'production', '--reason', ' '], {
      cwd: dir.dir,
    });
    expect([blank.code, blank.stdout]).toEqual([
      0,
      expect.stringContaining('kill switch set (manual rollback)'),
    ]);
    // Eleven CLI processes one after the other, each starting Node and loading the CLI: CPU work,
    // not a wait. About 5 s idle; more than 30 s on a machine loaded by several test suites.
  }, 120_000);
});
