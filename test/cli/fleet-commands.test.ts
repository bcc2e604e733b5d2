import { describe, expect, it } from 'vitest';
import { REPO_DIR } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';

/** The fleet's flags are checked before anything is read or written (no store is needed for that). */
describe('the fleet flags of the CLI', () => {
  it('refuses a --wait, --stale-after or --heartbeat that is not a duration within its bounds, naming the flag', async () => {
    for (const [args, flag] of [
      [['rollback', '--wait', 'soon'], '--wait'],
      [['rollout', 'resume', '--stale-after', '0'], '--stale-after'],
      [['fleet', 'status', '--stale-after', '-1s'], '--stale-after'],
      [['serve', '--heartbeat', '2h'], '--heartbeat'],
    ] as const) {
      const run = await runCli([...args, '--config-dir', REPO_DIR]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`${flag} must be (0 or )?a duration `));
    }
  });

  it('fleet status needs a store; serve --heartbeat needs one too', async () => {
    const status = await runCli(['fleet', 'status']);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(
      /status needs a store: --store postgres:\/\/.*, or FLAGROUTE_STORE/,
    );
    const serve = await runCli([
      'serve',
      '--heartbeat',
      '1s',
      '--port',
      '0',
      '--config-dir',
      REPO_DIR,
    ]);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('--heartbeat needs --store');
  });
});
