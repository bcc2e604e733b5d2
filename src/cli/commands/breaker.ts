import type { Command } from 'commander';

/** `flagroute breaker reset`: closes the circuit breaker of a running server (admin API). */
export function breakerCommands(program: Command): void {
  const breaker = program
    .command('breaker')
    .description('the circuit breaker of a running server, over its admin API');
  breaker
    .command('reset')
    .description(
      'close the breaker of a running flagroute serve (POST /v1/breaker/reset); the token comes from FLAGROUTE_ADMIN_TOKEN',
    )
    .option('--url <url>', 'the server', 'http://127.0.0.1:8016')
    .action(async (options: { url: string }) => {
      // Loaded on use, as serve does: the other commands start without fastify.
      const { resetRemoteBreaker } = await import('../../server/index.js');
      // The token is read from the environment, never from the command line (ps, shell history).
      const snapshot = await resetRemoteBreaker({
        url: options.url,
        token: process.env.FLAGROUTE_ADMIN_TOKEN,
      });
      process.stdout.write(
        `circuit breaker of ${new URL(options.url).origin} reset: ${snapshot.state}, ${snapshot.failure_count} failures counted\n`,
      );
    });
}
