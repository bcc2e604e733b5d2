import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli, waitFor } from '../helpers/cli-process.js';
import { TWO_STAGE_PLAN_ENV, tempConfigDir } from '../helpers/config-dir.js';

/** The messages of a process's log lines (JSON on stderr). */
const messages = (logs: Record<string, unknown>[]) => logs.map((line) => String(line.msg));

describe('flagroute serve stops on a signal and says so', () => {
  it.each([
    ['serve', 'SIGTERM', []],
    ['serve --controller', 'SIGINT', ['--controller', '--interval', '1s', '--lease-ttl', '3s']],
  ] as const)(
    '%s, on %s: the signal and the shutdown are logged, exit 0',
    async (_, signal, extra) => {
      const temp = await tempConfigDir({ 'environments/development.yaml': TWO_STAGE_PLAN_ENV });
      const args = ['serve', '--config-dir', temp.dir, '--port', '0', ...extra];
      if (extra.length > 0) args.push('--metrics', `events=${join(temp.dir, 'events')}`);
      const server = startCli(args, { env: { FLAGROUTE_INGEST_TOKEN: 'ingest-token-of-signals' } });
      await waitFor('the server to listen', () => /listening on (\S+)/.test(server.output()));
      expect(await server.stop(signal)).toBe(0);
      const said = messages(server.logs());
      const received = said.findIndex((message) =>
        message.startsWith(`${signal} received: shutting down`),
      );
      const complete = said.findIndex((message) =>
        message.startsWith(`shutdown complete after ${signal}`),
      );
      expect(received, server.output()).toBeGreaterThanOrEqual(0);
      expect(complete, server.output()).toBeGreaterThan(received);
      const line = server.logs()[received]!;
      expect(line).toMatchObject({ level: 30, signal });
    },
  );
});
