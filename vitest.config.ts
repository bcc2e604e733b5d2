import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/helpers/built-package.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
