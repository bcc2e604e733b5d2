import { realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { post, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';
const RULES = 'rules/query-type.yaml';
const ADMIN = { authorization: 'Bearer admin-token' };
const SALT = 'Pepper7f3aSaltOfTheFleet';
/** Text of the rule file's broken line: a response shows where it is, never what it says. */
const RULE_TEXT = 'RuleLineTextNotForClients';

const GOOD_ENV = `rollout_percentage: 10
enable_ab_testing: true
user_hash_salt: ${SALT}
rule_files:
  - ${RULES}
`;
const GOOD_RULES = `routing_rules:
  metabolomics:
    type: query_type
    allowed_types: [metabolomics]
`;

/**
 * Environment files broken on the salt's line in the ways whose parser or check messages quote
 * the line: a block scalar header, a tag, a stray token, an alias, a scalar top level, and a
 * salt of the wrong type (a schema error).
 */
const BROKEN_ENVS: ReadonlyArray<readonly [string, string]> = [
  ['none: the rule file alone', GOOD_ENV],
  ['block scalar header', GOOD_ENV.replace(`: ${SALT}`, `: |${SALT}\n  x`)],
  ['tag', GOOD_ENV.replace(`: ${SALT}`, `: !${SALT} x`)],
  ['stray token', GOOD_ENV.replace(`: ${SALT}`, `: ]${SALT}`)],
  ['unknown alias', GOOD_ENV.replace(`: ${SALT}`, `: *${SALT}`)],
  ['scalar top level', `${SALT}\n`],
  ['salt of the wrong type', GOOD_ENV.replace(`: ${SALT}`, `: [${SALT}]`)],
  // The file parses, so its salt is known: a key of that text is scrubbed from the pointer.
  ['the salt as a key', `${GOOD_ENV}${SALT}: 1\n`],
  ['the salt as a key below a known one', `${GOOD_ENV}shadow:\n  ${SALT}: 1\n`],
];

describe('a failed reload shows no file text and no path in any answer', () => {
  it.each(BROKEN_ENVS)(
    'an environment file broken on the salt line (%s), and a broken rule file',
    async (_, brokenEnv) => {
      const temp = await tempConfigDir({ [ENV]: GOOD_ENV, [RULES]: GOOD_RULES });
      const server = await testServer({
        configDir: temp.dir,
        watch: true,
        adminToken: 'admin-token',
      });
      const places = [...new Set([temp.dir, await realpath(temp.dir), tmpdir()])];
      const answer = async (path: string) => (await fetch(`${server.url}${path}`)).text();

      await temp.write(RULES, GOOD_RULES.replace('[metabolomics]', `!${RULE_TEXT} [a]`));
      await temp.write(ENV, brokenEnv);
      // A file that does not parse hides the rule files it names: only its own errors show.
      const failing = brokenEnv === GOOD_ENV ? RULES : ENV;
      const ready = await waitFor(
        `the reload to fail on ${failing}`,
        async () => {
          const response = await fetch(`${server.url}/readyz`);
          const body = (await response.json()) as { errors?: Array<{ file: string }> };
          return (
            response.status === 503 && body.errors?.some(({ file }) => file === failing) && body
          );
        },
        20_000,
      );
      expect(ready).toMatchObject({ status: 'reload failing' });

      const answers: Array<[string, string]> = [
        ['/readyz', await answer('/readyz')],
        ['/v1/status', await answer('/v1/status')],
        ['/v1/dashboard/snapshot', await answer('/v1/dashboard/snapshot')],
        [
          '/v1/rollout/resume',
          JSON.stringify(
            (await post(`${server.url}/v1/rollout/resume`, { reason: 'r' }, ADMIN)).body,
          ),
        ],
        // Admin writes over a file that no longer parses: the load's refusal is the answer.
        [
          'POST /v1/rollout',
          JSON.stringify(
            (
              await post(
                `${server.url}/v1/rollout`,
                { percentage: 5, reason: 'r', waitMs: 0 },
                ADMIN,
              )
            ).body,
          ),
        ],
        [
          '/v1/rollout/plan/start',
          JSON.stringify(
            (await post(`${server.url}/v1/rollout/plan/start`, { reason: 'r' }, ADMIN)).body,
          ),
        ],
        [
          'OFREP',
          JSON.stringify(
            (
              await post(`${server.url}/ofrep/v1/evaluate/flags/backend`, {
                context: { targetingKey: 'u1', query: 'q' },
              })
            ).body,
          ),
        ],
      ];
      for (const [what, text] of answers) {
        expect(text, `${what} shows the salt`).not.toContain(SALT);
        expect(text, `${what} quotes the rule file`).not.toContain(RULE_TEXT);
        for (const place of places) expect(text, `${what} shows ${place}`).not.toContain(place);
      }
      // What a response still says: the code, the file relative to the config directory, the place.
      expect(ready.errors).toContainEqual(
        expect.objectContaining({
          file: failing,
          line: expect.any(Number),
          code: expect.any(String),
        }),
      );
    },
  );
});

describe('an environment file that gained the salt of LIGHTRAG_USER_HASH_SALT as a key', () => {
  it('shows [secret] in the pointer of every answer, and an admin write over it says no salt either', async () => {
    const env = GOOD_ENV.replace(`user_hash_salt: ${SALT}\n`, '');
    const temp = await tempConfigDir({ [ENV]: env, [RULES]: GOOD_RULES });
    const server = await testServer({
      configDir: temp.dir,
      watch: true,
      adminToken: 'admin-token',
      env: { LIGHTRAG_USER_HASH_SALT: SALT },
    });
    await temp.write(ENV, `${env}${SALT}: 1\n`);
    const ready = await waitFor(
      'the reload to fail',
      async () => {
        const response = await fetch(`${server.url}/readyz`);
        return response.status === 503 && ((await response.json()) as { errors: unknown[] });
      },
      20_000,
    );
    expect(ready.errors).toEqual([
      expect.objectContaining({ code: 'UNKNOWN_KEY', pointer: '/[secret]' }),
    ]);
    const answers = [
      await (await fetch(`${server.url}/v1/status`)).text(),
      JSON.stringify((await post(`${server.url}/v1/rollout/resume`, { reason: 'r' }, ADMIN)).body),
      JSON.stringify(
        (await post(`${server.url}/v1/rollout`, { percentage: 5, reason: 'r', waitMs: 0 }, ADMIN))
          .body,
      ),
    ];
    for (const text of answers) expect(text).not.toContain(SALT);
  });
});
