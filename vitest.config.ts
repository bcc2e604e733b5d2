import { configDefaults, defineConfig } from 'vitest/config';

/** Files that start a real PostgreSQL: run after the others, one file at a time. */
const POSTGRES_FILES = 'test/**/*.postgres.test.ts';

export default defineConfig({
  test: {
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/helpers/built-package.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, POSTGRES_FILES],
        },
      },
      {
        // Each file starts its own cluster and some stop and restart it: never two at once, and
        // never beside the rest of the suite on a machine of two cores.
        extends: true,
        test: {
          name: 'postgres',
          include: [POSTGRES_FILES],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
