import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Integration tests spawn pg_dump, bundles and servers: generous per-test limits, not speed limits.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: keep files from starving each other of PostgreSQL and CPU.
    maxWorkers: 2,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/results.json' },
  },
});
