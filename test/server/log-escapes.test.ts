import { describe, expect, it } from 'vitest';
import { startCli, waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { capturingLogger } from '../helpers/silent-logger.js';
import { post, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';
/** A line break or control to one reader or another: NEL, CSI, U+2028, U+2029, U+202E, DEL. */
const BREAKING = '\u0085\u009b\u2028\u2029\u202e\u007f';
const RAW = /[\u007f-\u009f\u2028\u2029\u202a-\u202e]/;

describe('a caller text in a log line', () => {
  it('a key beside "context" is named with its controls escaped, in the message and the field', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
    const { logger, lines } = capturingLogger();
    const server = await testServer({ configDir: temp.dir, watch: false, logger });
    const key = `a${BREAKING}\nb`;
    const answer = await post(`${server.url}/ofrep/v1/evaluate/flags/backend`, {
      context: { targetingKey: 'alice' },
      [key]: 1,
    });
    expect(answer.status).toBe(200);
    const [warning] = lines.filter((line) => /beside "context"/.test(String(line.msg)));
    expect(warning).toBeDefined();
    // Parsed, as a reader of the JSON sees them: no character of the key breaks the line.
    expect(String(warning!.msg)).not.toMatch(RAW);
    expect(String(warning!.key)).not.toMatch(RAW);
    expect(String(warning!.msg)).toContain(
      'an OFREP request carried "a\\u0085\\u009b\\u2028\\u2029\\u202e\\u007f\\nb" beside "context"',
    );
    expect(warning!.key).toBe('a\\u0085\\u009b\\u2028\\u2029\\u202e\\u007f\\u000ab');
  });

  it("the default logger's lines hold no raw line break or control, and parse to what was sent", async () => {
    const temp = await tempConfigDir({
      [ENV]: 'rollout_percentage: 10\nlog_level: debug\nenable_detailed_logging: true\n',
    });
    const cli = startCli([
      'serve',
      '--config-dir',
      temp.dir,
      '--env',
      'development',
      '--port',
      '0',
    ]);
    const url = await waitFor(
      'the server to listen',
      () => /listening on (\S+)/.exec(cli.output())?.[1],
    );
    const userId = `u${BREAKING}v`;
    expect((await post(`${url}/v1/decide`, { userId })).status).toBe(200);
    expect(
      (
        await post(`${url}/ofrep/v1/evaluate/flags`, {
          context: { targetingKey: 'a' },
          [userId]: 1,
        })
      ).status,
    ).toBe(200);
    const logs = await waitFor('the decision and the key to be logged', () => {
      const parsed = cli.logs();
      const decision = parsed.find((line) => line.msg === 'decision');
      const beside = parsed.find((line) => /beside "context"/.test(String(line.msg)));
      return decision && beside && { decision, beside };
    });
    // What a reader splitting on every line break (Python's splitlines) or a terminal gets.
    expect(cli.output()).not.toMatch(RAW);
    expect((logs.decision.decision as { userId: string }).userId).toBe(userId);
    await cli.stop();
  });
});
