import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago (the system picks it). Another process may take it
 * before the caller binds it, so whoever starts a server on it must retry on "address in use".
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
