import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Two projects: `unit` (pure code, no services, fast) and `integration` (real Postgres, Redis and
// Temporal, started by scripts/test.sh). Each integration test file isolates itself (database, task
// queue, stream prefix), so files run in parallel and repeatedly.
export default defineConfig({
  // The terminal's import aliases (web/vite.config.ts), for its unit tests.
  resolve: {
    alias: {
      '@domain': fileURLToPath(new URL('./domain', import.meta.url)),
      '@solana-client': fileURLToPath(new URL('./solana', import.meta.url)),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            '{domain,platform,api,activities,services,solana,workflows,temporal,web/src}/**/*.test.ts',
            'tests/static/**/*.test.ts',
          ],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
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
