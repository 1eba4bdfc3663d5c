import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The fault drills and the cluster drills are runs of their own (npm run test:faults, test:cluster).
    include: ['test/*.test.ts', 'test/!(faults|cluster)/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // Two cores: two test files at a time. Each time-skipping file owns its own test server.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
