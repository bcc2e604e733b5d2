import type { Command } from 'commander';
import { checkedNumber, port } from '../shared.js';

/** `flagroute demo`: the whole loop on this machine, with the dashboard. */
export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the whole loop: server, rollout controller, synthetic backends and traffic, the dashboard; Ctrl-C stops it and removes every temporary file',
    )
    .option(
      '--scenario <name>',
      'healthy or latency-regression (the plan rolls back by itself)',
      'healthy',
    )
    .option('--port <n>', 'port of the server (default: a free one)', port)
    .option(
      '--speed <x>',
      'plan time per wall time (360: an hour in 10 s)',
      checkedNumber('--speed', (x) => x > 0, 'a number above 0'),
      360,
    )
    .option(
      '--qps <n>',
      'simulated queries per second',
      checkedNumber('--qps', (x) => x > 0, 'a number above 0'),
      60,
    )
    .option(
      '--config-dir <dir>',
      'directory whose environments/ and rules/ are copied (never edited)',
      '.',
    )
    .action(
      async (flags: {
        scenario: string;
        port?: number;
        speed: number;
        qps: number;
        configDir: string;
      }) => {
        // Listen for Ctrl-C before starting anything, so that none comes too early to clean up.
        const stopped = new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        const { startDemo } = await import('../../demo/index.js');
        // Narration is best effort: a reader that went away (| head) must not crash the demo.
        process.stdout.on('error', () => {});
        const say = (line: string) => {
          if (process.stdout.writable) process.stdout.write(`${line}\n`);
        };
        const demo = await startDemo({
          configDir: flags.configDir,
          scenario: flags.scenario as never,
          speed: flags.speed,
          queriesPerSecond: flags.qps,
          ...(flags.port === undefined ? {} : { port: flags.port }),
          narrate: say,
          ...(process.env.FLAGROUTE_ADMIN_TOKEN
            ? { adminToken: process.env.FLAGROUTE_ADMIN_TOKEN }
            : {}),
        });
        say(
          process.env.FLAGROUTE_ADMIN_TOKEN
            ? 'admin actions: use your FLAGROUTE_ADMIN_TOKEN'
            : `admin actions: the token is in ${demo.adminTokenFile} (removed when the demo stops)`,
        );
        say(
          `plan time runs ${flags.speed}x: each stage holds an hour of plan time (${(3600 / flags.speed).toFixed(0)} s); Ctrl-C to stop`,
        );
        void demo.finished.then((phase) =>
          say(`[demo] the plan is ${phase}; the dashboard stays up until Ctrl-C`),
        );
        await stopped;
        say('[demo] stopping: traffic, server, temporary files');
        await demo.stop();
      },
    );
}
