import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { describeConfig, loadConfig } from '../platform/config';
import { createLogger } from '../platform/logger';
import { createPostgres } from '../platform/postgres';
import { createRedis } from '../platform/redis';
import { runMain } from '../platform/main';
import { NativeConnection } from '@temporalio/worker';
import { createWorker, LIQUIDATION_BURST_PG_CONNECTIONS, LIQUIDATION_BURST_TUNING } from './worker-factory';
import { RpcPool } from '../solana/rpc-pool';
import { loadKeeperKeypair } from '../solana/keeper-key';
import { createTemporalClient } from './client';

await runMain('worker', async (onShutdown) => {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'worker' });
  // The SDK's own log (bundling, state changes) goes through pino; below WARN it is noise for operators.
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => logger[sdkLevel(level)]({ sdk: meta }, message)),
  });
  logger.info({ config: describeConfig(config) }, 'starting worker');
  const { pool, db } = createPostgres(config.postgres.url, {
    applicationName: 'quantdesk-worker',
    max: LIQUIDATION_BURST_PG_CONNECTIONS,
  });
  const redis = createRedis(config.redis.url, 'quantdesk-worker');
  const rpcPool = new RpcPool(config.solana.rpcUrls, { now: () => Date.now() });
  const keeper = config.solana.keeperKeypairFile ? loadKeeperKeypair(config.solana.keeperKeypairFile) : null;
  logger.info({ keeper: keeper?.publicKey.toBase58() ?? null }, 'keeper');
  const temporal = await createTemporalClient(config.temporal);
  const deps = { pool, db, redis, streamPrefix: config.streamPrefix, rpcPool, keeper, temporal };
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
  onShutdown(() => workers.forEach((w) => w.shutdown()));
  logger.info({ taskQueues: [config.temporal.taskQueue, config.temporal.liquidationTaskQueue] }, 'worker polling');
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
  await Promise.all([pool.end(), redis.quit(), temporal.connection.close()]);
  logger.info('worker stopped');
});

function sdkLevel(level: LogLevel): 'trace' | 'debug' | 'info' | 'warn' | 'error' {
  return level.toLowerCase() as Lowercase<LogLevel>;
}
