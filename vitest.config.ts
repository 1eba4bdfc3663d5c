import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/*.test.ts', 'test/!(faults)/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // Two cores: two test files at a time. Each time-skipping file owns its own test server.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
