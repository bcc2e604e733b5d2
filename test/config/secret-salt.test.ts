import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReloadErrorEvent } from '../../src/router/events.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { nextEvent } from '../helpers/events.js';
import { runCli } from '../helpers/run-cli.js';
import { capturingLogger } from '../helpers/silent-logger.js';
import { testRouter } from '../helpers/test-router.js';

const ENV = 'environments/production.yaml';
const MARK = 'Zq9xSALTMARK';
/** Salts that must never be printed: valid, too long, a number, hex, with a control escape. */
const SALTS: [string, string, Record<string, string>][] = [
  ['a valid salt in the file', `user_hash_salt: ${MARK}\n`, {}],
  ['a salt over the length limit', `user_hash_salt: ${MARK.repeat(100)}\n`, {}],
  ['a salt given as a number', 'user_hash_salt: 7319864250731986\n', {}],
  ['a salt given in hex', 'user_hash_salt: 0x7319ABCDEF\n', {}],
  ['a salt with a NUL escape', `user_hash_salt: "${MARK}\\0"\n`, {}],
  // A file that does not parse: its salt is not known, and the parser's message quotes the line.
  ['a block scalar header on the salt line', `user_hash_salt: |${MARK}\n  x\n`, {}],
  ['a tag on the salt line', `user_hash_salt: !${MARK} x\n`, {}],
  ['a stray token on the salt line', `user_hash_salt: ]${MARK}\n`, {}],
  ['an alias on the salt line', `"user_hash_salt" : *${MARK}\n`, {}],
  [
    "the variable's salt on another broken line of the file",
    `enable_ab_testing: ]${MARK}\n`,
    { LIGHTRAG_USER_HASH_SALT: MARK },
  ],
  ['a valid salt in the variable', '', { LIGHTRAG_USER_HASH_SALT: MARK }],
  ['a salt variable over the limit', '', { LIGHTRAG_USER_HASH_SALT: MARK.repeat(100) }],
];
const FORBIDDEN = [MARK, '7319864250731986', '0x7319ABCDEF', '7319ABCDEF'];

function leaks(text: string): string[] {
  return FORBIDDEN.filter((secret) => text.includes(secret));
}

const COMMANDS: string[][] = [
  ['validate'],
  ['validate', '--json'],
  ['config', '--env', 'production'],
  ['config', '--env', 'production', '--json'],
  ['decide', '--env', 'production', '--user', 'alice', '--json'],
  ['explain', '--env', 'production', '--user', 'alice', '--json'],
  ['status', '--env', 'production', '--json'],
  ['simulate', '--env', 'production', '--users', '10'],
  ['rollout', 'set', '20', '--env', 'production'],
];

describe('the salt never appears in any output', () => {
  it.each(SALTS)('%s: every command', async (_name, line, env) => {
    const temp = await tempConfigDir({ [ENV]: `rollout_percentage: 10\n${line}` });
    for (const command of COMMANDS) {
      const result = await runCli(command, { cwd: temp.dir, env });
      expect(leaks(result.stdout + result.stderr), command.join(' ')).toEqual([]);
    }
  });

  // The router here reads no variables: a case of the variable's salt is the commands' alone.
  it.each(SALTS.filter(([, line, env]) => line !== '' && Object.keys(env).length === 0))(
    '%s: reload events and logs',
    async (_name, line) => {
      const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
      const { logger, lines } = capturingLogger();
      const router = await testRouter({
        configDir: temp.dir,
        environment: 'production',
        env: {},
        cwd: temp.dir,
        logger,
      });
      const events: unknown[] = [];
      router.on('reload', (event) => events.push(event));
      router.on('reloadError', (event: ReloadErrorEvent) => events.push(event));
      const settled = Promise.race([nextEvent(router, 'reload'), nextEvent(router, 'reloadError')]);
      await writeFile(join(temp.dir, ENV), `rollout_percentage: 10\n${line}`);
      await settled;
      expect(leaks(JSON.stringify(events)), 'events').toEqual([]);
      expect(leaks(JSON.stringify(router.status())), 'status').toEqual([]);
      expect(leaks(JSON.stringify(lines)), 'log').toEqual([]);
    },
  );
});
