import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';

/** `--metrics` is checked when the command starts, in its own words. */
describe('the controller flag --metrics', () => {
  it('refuses prometheus= without an http(s) URL at start, naming --metrics, not a flag the command lacks', async () => {
    const { dir } = await tempConfigDir({
      'environments/development.yaml': 'rollout_percentage: 5\n',
    });
    for (const command of [
      ['controller', '--once'],
      ['serve', '--controller', '--port', '0'],
    ]) {
      for (const url of ['notaurl', 'ftp://prometheus:9090']) {
        const run = await runCli([
          ...command,
          '--config-dir',
          dir,
          '--state-dir',
          `${dir}/state`,
          '--metrics',
          `prometheus=${url}`,
        ]);
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toContain(
          `error: --metrics prometheus=URL needs an http:// or https:// URL such as prometheus=http://prometheus:9090, got "prometheus=${url}"\n`,
        );
        expect(run.stderr).not.toContain('--prometheus');
      }
    }
  });

  it('serve says which controller flag needs --controller, in the number it was given', async () => {
    const one = await runCli(['serve', '--metrics', 'router', '--port', '0']);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('error: --metrics needs --controller');
  });
});
