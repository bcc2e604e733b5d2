import { readFileSync } from 'node:fs';

let version: string | undefined;

/** flagroute's version, from its package.json (read once, on first use). */
export function packageVersion(): string {
  if (version === undefined) {
    const manifest = new URL('../package.json', import.meta.url);
    version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  }
  return version;
}
