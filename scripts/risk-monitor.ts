// The risk monitor (started by `npm start`): follows the price streams qd:prices:<symbol>; on each tick
// it relays the price to waiting orders (their triggers) and, at most once per market per second,
// values every holder on fresh chain state and starts liquidations (liq:<account>:<market>:<minute>).
import { DEFAULT_MARKETS } from '../domain/perp';
import { loadConfig } from '../platform/config';
import { createLogger } from '../platform/logger';
import { runMain } from '../platform/main';
import { createPostgres } from '../platform/postgres';
import { createRedis } from '../platform/redis';
import { RpcPool } from '../activities/chain/rpc-pool';
import { relayPriceTick } from '../activities/risk/price-relay';
import { scanMarketForLiquidations } from '../activities/risk/risk-monitor';
import { createTemporalClient } from '../temporal/client';

const SCAN_EVERY_MS = 1_000;

await runMain('risk-monitor', async (onShutdown) => {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'risk-monitor' });
  const { pool, db } = createPostgres(config.postgres.url, { applicationName: 'quantdesk-risk-monitor' });
  const redis = createRedis(config.redis.url, 'quantdesk-risk-monitor');
  const temporal = await createTemporalClient(config.temporal);
  const rpcPool = new RpcPool(config.solana.rpcUrls, { now: () => Date.now() });
  let stopping = false;
  onShutdown(() => {
    stopping = true;
  });
  const streams = DEFAULT_MARKETS.map((m) => `${config.streamPrefix}:prices:${m.symbol}`);
  const lastIds = streams.map(() => '$');
  const lastScan = new Map<number, number>();
  logger.info({ streams }, 'risk monitor following prices');
  while (!stopping) {
    const batch = await redis.xread('COUNT', 100, 'BLOCK', 1_000, 'STREAMS', ...streams, ...lastIds);
    for (const [stream, entries] of batch ?? []) {
      const i = streams.indexOf(stream);
      const market = DEFAULT_MARKETS[i]!;
      const [id, fields] = entries.at(-1)!;
      lastIds[i] = id;
      const price = BigInt(fields[fields.indexOf('price') + 1]!);
      try {
        const told = await relayPriceTick(temporal, market.marketIndex, price);
        const now = Date.now();
        if (now - (lastScan.get(market.marketIndex) ?? 0) >= SCAN_EVERY_MS) {
          lastScan.set(market.marketIndex, now);
          const started = await scanMarketForLiquidations({ pool: rpcPool, db, temporal, taskQueue: config.temporal.taskQueue }, market.marketIndex, String(Math.floor(now / 60_000)));
          const entry = { market: market.symbol, price: price.toString(), ordersTold: told, liquidations: started };
          if (started.length) logger.info(entry, 'liquidations started');
          else logger.debug(entry, 'tick handled');
        }
      } catch (err) {
        logger.warn({ err, market: market.symbol }, 'tick not handled; the next one will be');
      }
    }
  }
  await Promise.all([pool.end(), redis.quit(), temporal.connection.close()]);
});
