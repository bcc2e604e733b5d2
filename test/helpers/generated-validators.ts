import { createRequire } from 'node:module';
import { join } from 'node:path';
import { GENERATED_VALIDATORS } from '../../src/config/schemas.js';
import { REPO_DIR } from './config-dir.js';

/** A validator as generated: a function that keeps the last call's errors. */
export type GeneratedValidator = ((data: unknown) => boolean) & { errors?: unknown[] | null };

/** Every validator `npm run build` generates (the CLI and the package use them), by export name. */
export function generatedValidators(): Record<string, GeneratedValidator> {
  const require = createRequire(import.meta.url);
  return Object.assign(
    {},
    ...Object.values(GENERATED_VALIDATORS).map(
      (file) =>
        require(join(REPO_DIR, 'dist', 'config', file)) as Record<string, GeneratedValidator>,
    ),
  );
}
