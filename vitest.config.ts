import { defineConfig } from 'vitest/config';

/**
 * Two tiers: fast unit tests beside the code, and drills as their own project that runs one file at a time,
 * with long timeouts and no retries (a flaky drill is a finding, not something to paper over).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['harness/**/*.test.ts', 'fixtures/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'drills',
          include: ['tests/drills/**/*.test.ts'],
          setupFiles: ['tests/forget-registry.ts'],
          environment: 'node',
          fileParallelism: false,
          retry: 0,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
