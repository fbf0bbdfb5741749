import { createServer } from 'node:http';
import { describeConfig, loadConfig } from '../platform/config';
import { createLogger } from '../platform/logger';
import { runMain } from '../platform/main';
import { createPostgres } from '../platform/postgres';
import { createRedis } from '../platform/redis';
import { createTemporalClient } from '../temporal/client';
import { createApp } from './app';
import { StreamRelay } from './realtime';
import { measuredRpcPool } from '../solana/rpc-metrics';
import { createApiMetrics } from './metrics';

await runMain('api', async (onShutdown) => {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'api' });
  logger.info({ config: describeConfig(config) }, 'starting api');
  const { pool } = createPostgres(config.postgres.url, { applicationName: 'quantdesk-api' });
  const redis = createRedis(config.redis.url, 'quantdesk-api');
  const temporal = await createTemporalClient(config.temporal);
  const metrics = createApiMetrics();
  const rpcPool = measuredRpcPool(metrics.registry, config.solana);
  const server = createServer(createApp({ config, logger, pool, redis, temporal, rpcPool, metrics }));
  const realtime = await StreamRelay.serve(server, {
    registry: metrics.registry,
    redis,
    streamPrefix: config.streamPrefix,
    corsOrigins: config.api.corsOrigins,
    instance: config.api.instance,
    logger,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.api.port, config.api.host, resolve);
  });
  logger.info({ url: `http://${config.api.host}:${config.api.port}` }, 'api listening');
  onShutdown(async () => {
    await realtime.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([pool.end(), redis.quit(), temporal.connection.close()]);
    logger.info('api stopped');
  });
});
