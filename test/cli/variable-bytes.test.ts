import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { CLI, finished, runCli } from '../helpers/run-cli.js';

const ENV = 'environments/production.yaml';
const NOT_UTF8 =
  'contains U+FFFD, which is what bytes that are not UTF-8 become when the environment is read, so the value is not the one set (and a genuine U+FFFD cannot be told apart); set the variable in UTF-8';

/**
 * `flagroute validate` with variables holding raw bytes, set by the shell's printf: Node would
 * encode a string given to spawn as UTF-8, so bytes that are not UTF-8 cannot be passed that way.
 */
async function validateWithBytes(dir: string, variables: Record<string, string>) {
  const assignments = Object.entries(variables)
    .map(([name, format]) => `${name}="$(printf '${format}')"`)
    .join(' ');
  const child = spawn(
    '/bin/sh',
    ['-c', `${assignments} exec "$0" "$1" validate`, process.execPath, CLI],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
    },
  );
  return finished(child);
}

describe('LIGHTRAG_* variables whose bytes are not UTF-8', () => {
  it('are refused, the salt without showing it, instead of being read with U+FFFD', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
    const result = await validateWithBytes(temp.dir, {
      LIGHTRAG_USER_HASH_SALT: 'SaltMark\\377',
      LIGHTRAG_LOG_LEVEL: 'in\\377fo',
      LIGHTRAG_ROUTING_RULES: '{"r\\351": {}}',
    });
    expect(result.code).toBe(1);
    const lines = result.output.split('\n');
    expect(lines).toContain(
      `LIGHTRAG_USER_HASH_SALT: a string of 9 characters (not shown: secret) ${NOT_UTF8}`,
    );
    expect(lines).toContain(`LIGHTRAG_LOG_LEVEL: "in\uFFFDfo" ${NOT_UTF8}`);
    expect(lines).toContain(`LIGHTRAG_ROUTING_RULES: "{\\"r\uFFFD\\": {}}" ${NOT_UTF8}`);
    expect(result.output).not.toContain('SaltMark');
    // The same salt in UTF-8 is a salt like any other.
    const utf8 = await validateWithBytes(temp.dir, {
      LIGHTRAG_USER_HASH_SALT: 'SaltMark\\303\\251',
    });
    expect(utf8.code).toBe(0);
  });

  it('a salt with a control character is refused as one in the file is, without showing it', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
    const result = await runCli(['validate', '--json'], {
      cwd: temp.dir,
      env: { LIGHTRAG_USER_HASH_SALT: 'SaltMark\u0001' },
    });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        code: 'INVALID_ENV_VAR',
        file: null,
        line: null,
        column: null,
        variable: 'LIGHTRAG_USER_HASH_SALT',
        pointer: '',
        message:
          'a string of 9 characters (not shown: secret) contains the control character U+0001; remove it',
      },
    ]);
    expect(result.stdout + result.stderr).not.toContain('SaltMark');
  });
});
