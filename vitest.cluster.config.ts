import { defineConfig } from 'vitest/config';

/**
 * Cluster drills (`npm run test:cluster`): one production-shaped cluster for the whole run
 * (test/support/clusterSetup.ts: the real Temporal server's four services as processes on
 * PostgreSQL, two workers, two APIs), drilled one file at a time, since the drills kill and
 * restart its processes. The first run builds the Temporal server (minutes; the global set-up
 * has no time limit).
 */
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/support/clusterSetup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
