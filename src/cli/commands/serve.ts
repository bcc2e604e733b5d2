import type { Command } from 'commander';
import { type EnvironmentOptions, port, withEnvironmentOptions } from '../shared.js';

/** The longest a SIGTERM waits for requests in flight before the process exits anyway. */
const DRAIN_LIMIT_MS = 5_000;

/** `flagroute serve`: the HTTP service (OFREP, /v1, admin, health) over one router. */
export function serveCommand(program: Command): void {
  withEnvironmentOptions(
    program
      .command('serve')
      .description(
        'serve decisions and outcomes over HTTP: OFREP (/ofrep/v1), /v1, /healthz, /readyz; admin routes with FLAGROUTE_ADMIN_TOKEN',
      ),
  )
    .option('--port <n>', 'port to listen on (0 picks a free one)', port, 8016)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--events-dir <dir>',
      'write every outcome to daily JSON-lines files (the outcome event log)',
    )
    .action(
      async (options: EnvironmentOptions & { port: number; host: string; eventsDir?: string }) => {
        // Loaded on use: the other commands start without fastify.
        const { serve } = await import('../../server/index.js');
        const server = await serve({
          configDir: options.configDir,
          environment: options.env,
          port: options.port,
          host: options.host,
          adminToken: process.env.FLAGROUTE_ADMIN_TOKEN,
          ...(options.eventsDir === undefined ? {} : { eventsDir: options.eventsDir }),
        });
        server.router.logger.info(
          { url: server.url },
          `flagroute serving ${server.router.environment} at ${server.url}`,
        );
        process.stdout.write(`listening on ${server.url}\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        const forced = setTimeout(() => process.exit(0), DRAIN_LIMIT_MS);
        forced.unref();
        await server.close();
      },
    );
}
