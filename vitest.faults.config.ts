import { defineConfig } from 'vitest/config';

/**
 * Fault drills (`npm run test:faults`): each file starts its own PostgreSQL, Temporal dev server,
 * worker process and API, then kills, stops and restarts them. One file at a time: the drills
 * are timed against real deadlines and real timeouts, and each already runs several processes.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/support/faultsSetup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 90_000,
  },
});
