// Applies database migrations and registers the Temporal namespace and search attributes.
// Run by `npm start` (scripts/stack.sh) before the worker and the API; safe to run repeatedly.
import { Connection } from '@temporalio/client';
import { loadConfig } from '../platform/config';
import { createLogger } from '../platform/logger';
import { runMain } from '../platform/main';
import { createPostgres, runMigrations } from '../platform/postgres';
import { ensureNamespaceAndSearchAttributes } from '../temporal/setup';
import { ensureFundingSchedules, ensureReconciliationSchedule } from '../temporal/schedules';
import { Client } from '@temporalio/client';
import { DEFAULT_MARKETS } from '../domain/perp';

await runMain('setup', async () => {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'setup' });
  const { pool, db } = createPostgres(config.postgres.url, { max: 1, applicationName: 'quantdesk-setup' });
  try {
    await runMigrations(db);
    logger.info('migrations applied');
  } finally {
    await pool.end();
  }
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    await ensureNamespaceAndSearchAttributes(connection, config.temporal.namespace);
    logger.info({ namespace: config.temporal.namespace }, 'temporal namespace and search attributes ready');
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const created = await ensureFundingSchedules(
      client,
      config.temporal.taskQueue,
      DEFAULT_MARKETS.map((m) => m.marketIndex),
    );
    logger.info({ created }, 'hourly funding schedules ready');
    logger.info(
      { created: await ensureReconciliationSchedule(client, config.temporal.taskQueue) },
      'hourly reconciliation schedule ready',
    );
  } finally {
    await connection.close();
  }
});
