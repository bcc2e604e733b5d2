import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from './helpers/config-dir.js';

type Version = [number, number, number];

/** `>=X`, `>=X.Y` or `>=X.Y.Z` as a version; other range forms are not floors we can compare. */
function floorOf(range: string): Version | undefined {
  const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

function above(a: Version, b: Version): boolean {
  for (let index = 0; index < 3; index += 1) {
    if (a[index]! !== b[index]!) return a[index]! > b[index]!;
  }
  return false;
}

describe('the Node.js versions the README asks for', () => {
  it('every locked package accepts the oldest Node.js package.json allows (npm ci prints no EBADENGINE)', async () => {
    const manifest = JSON.parse(await readFile(join(REPO_DIR, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    const oldest = floorOf(manifest.engines.node);
    expect(oldest, 'package.json engines.node is a plain >= floor').toBeDefined();
    const lock = JSON.parse(await readFile(join(REPO_DIR, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; engines?: { node?: string } }>;
    };
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => {
        const floor = entry.engines?.node === undefined ? undefined : floorOf(entry.engines.node);
        return path !== '' && floor !== undefined && above(floor, oldest!);
      })
      .map(([path, entry]) => `${path}@${entry.version} needs node ${entry.engines?.node}`);
    expect(refusing).toEqual([]);
  });

  it("fastify's inject still sends cookies with the cookie version the override pins", async () => {
    const app = Fastify();
    app.get('/', async (request) => ({ cookie: request.headers.cookie }));
    const response = await app.inject({ method: 'GET', url: '/', cookies: { session: 'a b' } });
    expect(response.json()).toEqual({ cookie: 'session=a%20b' });
    await app.close();
  });
});
