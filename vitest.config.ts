import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure code, no services, fast) and `integration` (real Postgres, Redis and
// Temporal, started by scripts/test.sh). Each integration test file isolates itself (database, task
// queue, stream prefix), so files run in parallel and repeatedly.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{domain,platform,api,activities,workflows,temporal,web/src}/**/*.test.ts', 'tests/static/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: 'forks',
          maxWorkers: 2,
        },
      },
    ],
  },
});
