import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { describeConfig, loadConfig } from '../platform/config';
import { createLogger } from '../platform/logger';
import { createPostgres } from '../platform/postgres';
import { createRedis } from '../platform/redis';
import { runMain } from '../platform/main';
import { NativeConnection } from '@temporalio/worker';
import { createWorker, LIQUIDATION_BURST_PG_CONNECTIONS, LIQUIDATION_BURST_TUNING } from './worker-factory';
import { measuredRpcPool } from '../solana/rpc-metrics';
import { createRegistry, serveMetrics } from '../platform/metrics';
import { createWorkerMetrics } from './worker-metrics';
import { startEventOutboxDrain } from '../activities/bookkeeping/publish-workflow-event';
import { loadKeeperKeypair } from '../solana/keeper-key';
import { journalFallbackPending, startJournalDrain } from '../solana/send-journal';
import { createTemporalClient } from './client';

await runMain('worker', async (onShutdown) => {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'worker' });
  const { metrics } = config;
  // The SDK's own log (bundling, state changes) goes through pino; below WARN it is noise for operators.
  // Its metrics (task slots, schedule-to-start, workflow completions) are served on their own port.
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => logger[sdkLevel(level)]({ sdk: meta }, message)),
    ...(metrics.workerSdkPort
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: `${metrics.host}:${metrics.workerSdkPort}`,
                countersTotalSuffix: true,
                useSecondsForDurations: true,
              },
            },
          },
        }
      : {}),
  });
  const registry = createRegistry('worker');
  logger.info({ config: describeConfig(config) }, 'starting worker');
  const { pool, db } = createPostgres(config.postgres.url, {
    applicationName: 'quantdesk-worker',
    max: LIQUIDATION_BURST_PG_CONNECTIONS,
  });
  const redis = createRedis(config.redis.url, 'quantdesk-worker');
  const workerMetrics = createWorkerMetrics(registry, () => journalFallbackPending(redis, config.streamPrefix));
  const rpcPool = measuredRpcPool(registry, config.solana);
  const keeper = config.solana.keeperKeypairFile ? loadKeeperKeypair(config.solana.keeperKeypairFile) : null;
  logger.info({ keeper: keeper?.publicKey.toBase58() ?? null }, 'keeper');
  const temporal = await createTemporalClient(config.temporal);
  const deps = {
    pool,
    db,
    redis,
    streamPrefix: config.streamPrefix,
    rpcPool,
    keeper,
    temporal,
    observer: workerMetrics.observer,
  };
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  // Every workflow on the main queue; liquidations also here, beside the risk monitor's own worker, so
  // they go on when the monitor is down.
  const workers = [
    await createWorker({ ...config.temporal, connection }, deps),
    await createWorker(
      {
        ...config.temporal,
        taskQueue: config.temporal.liquidationTaskQueue,
        connection,
        tuning: LIQUIDATION_BURST_TUNING,
      },
      deps,
    ),
  ];
  // Events parked in the outbox while Redis was unreachable reach the streams once it answers again.
  const stopDrain = startEventOutboxDrain(redis, config.streamPrefix, db, (err) =>
    logger.warn({ err }, 'event outbox not drained yet; retrying'),
  );
  // Keeper transactions journaled in Redis while Postgres was unreachable reach keeper_transactions.
  const stopJournalDrain = startJournalDrain(redis, config.streamPrefix, db, (err) =>
    logger.warn({ err }, 'keeper journal entries made in Redis not copied to Postgres yet; retrying'),
  );
  onShutdown(() => {
    stopDrain();
    stopJournalDrain();
    workers.forEach((w) => w.shutdown());
  });
  const metricsServer = await serveMetrics(registry, metrics.host, metrics.workerPort);
  logger.info(
    {
      taskQueues: [config.temporal.taskQueue, config.temporal.liquidationTaskQueue],
      metrics: { ours: metricsServer?.port ?? null, sdk: metrics.workerSdkPort || null },
    },
    'worker polling',
  );
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
  workerMetrics.stop();
  await Promise.all([pool.end(), redis.quit(), temporal.connection.close(), metricsServer?.close()]);
  logger.info('worker stopped');
});

function sdkLevel(level: LogLevel): 'trace' | 'debug' | 'info' | 'warn' | 'error' {
  return level.toLowerCase() as Lowercase<LogLevel>;
}
