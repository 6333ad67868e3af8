import { defineConfig } from 'vitest/config';

// Browser end-to-end tests against a running `coffer serve` (see e2e/env.ts).
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
