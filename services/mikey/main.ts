// MIKEY (started by `npm start`): market intelligence from the platform's own streams. Follows every price
// stream and the workflow firehose in its consumer group `mikey` and writes each insight to the insights
// table and to qd:insights:<market> (services/mikey/runner.ts; the signals in signals.ts, the state machine
// in mikey.ts).
import { hostname } from 'node:os';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { runMain } from '../../platform/main';
import { createPostgres } from '../../platform/postgres';
import { createRedis } from '../../platform/redis';
import { startHeartbeat } from '../../platform/heartbeat';
import { MikeyRunner } from './runner';

await runMain('mikey', async (onShutdown) => {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'mikey' });
  const redis = createRedis(config.redis.url, 'quantdesk-mikey');
  const { pool, db } = createPostgres(config.postgres.url, { applicationName: 'quantdesk-mikey', max: 2 });
  const runner = new MikeyRunner(redis, db, config.streamPrefix, `${hostname()}-${process.pid}`);
  let stopping = false;
  onShutdown(() => {
    stopping = true;
  });
  for (;;) {
    try {
      await runner.start(Date.now());
      break;
    } catch (err) {
      if (stopping) return;
      logger.warn({ err }, 'MIKEY not started yet; retrying');
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  const stopHeartbeat = startHeartbeat(redis, config.streamPrefix, 'mikey', () => Date.now());
  logger.info('MIKEY following prices and workflow events');
  while (!stopping) {
    try {
      const insights = await runner.step();
      for (const i of insights) logger.info({ market: i.market, kind: i.kind, value: i.value }, i.summary);
    } catch (err) {
      logger.warn({ err }, 'MIKEY step failed; retrying');
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  stopHeartbeat();
  await Promise.all([redis.quit(), pool.end()]);
});
