import { afterAll, beforeAll, describe } from 'vitest';
import { postgresMissing } from './postgres-install.js';
import {
  type PostgresServer,
  SERVER_DEADLINE_MS,
  type StartPostgresOptions,
  startPostgres,
} from './postgres-server.js';

export * from './postgres-server.js';

/**
 * `describe` for the files that need a real PostgreSQL: skipped where it is missing, except
 * with `CI=true`, where a missing server fails the tests (`.ci/run` installs it).
 */
export function describePostgres(name: string, body: () => void): void {
  const runs = postgresMissing() === undefined || process.env.CI === 'true';
  describe.skipIf(!runs)(name, body);
}

/**
 * One cluster for the test file that calls it: started before its first test, destroyed after
 * its last. Returns a getter for it. Each test makes its own database with `createDatabase()`.
 */
export function usePostgres(options: StartPostgresOptions = {}): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres(options);
  }, SERVER_DEADLINE_MS * 2);
  afterAll(async () => {
    await server?.destroy();
  }, SERVER_DEADLINE_MS);
  return () => {
    if (!server) throw new Error('the PostgreSQL cluster of this file did not start');
    return server;
  };
}
