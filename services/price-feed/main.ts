// The local price feed (started by `npm start`): moves SOL, BTC and ETH along a random walk with jumps,
// writing each price to the localnet's oracle accounts (Pyth, or Switchboard for a market listed on it) and to the Redis Streams qd:prices:<symbol>.
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_PATH, localnetSink, PriceFeed, seededRandom, type PublishedPrice } from './price-feed';
import { oraclePrices } from '../../drizzle/schema';
import { createPostgres } from '../../platform/postgres';
import { INITIAL_PRICES } from '../../domain/perp';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { runMain } from '../../platform/main';
import { createRedis } from '../../platform/redis';
import { createRegistry, serveMetrics } from '../../platform/metrics';
import { startHeartbeat } from '../../platform/heartbeat';
import { Gauge, Histogram } from 'prom-client';

await runMain('price-feed', async (onShutdown) => {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'price-feed' });
  const stop = new AbortController();
  onShutdown(() => stop.abort());
  const res = await fetch(`${config.solana.localnetControlUrl}/bootstrap`);
  if (!res.ok) throw new Error(`localnet control at ${config.solana.localnetControlUrl} answered ${res.status}`);
  const bootstrap = (await res.json()) as { markets: { marketIndex: number; symbol: string }[] };
  const markets = bootstrap.markets.map((m) => ({ ...m, price: INITIAL_PRICES.get(m.marketIndex) ?? 1_000_000n }));
  const redis = createRedis(config.redis.url, 'quantdesk-price-feed');
  const { pool, db } = createPostgres(config.postgres.url, { applicationName: 'quantdesk-price-feed' });
  const registry = createRegistry('price-feed');
  const steps = new Histogram({
    name: 'qd_price_feed_step_duration_seconds',
    help: 'Price steps (every market written to its oracle, the stream and oracle_prices), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const lastPublish = new Gauge({
    name: 'qd_price_feed_last_publish_timestamp_seconds',
    help: 'When the feed last published the market (Unix seconds)',
    labelNames: ['market'] as const,
    registers: [registry],
  });
  const symbolOf = new Map(markets.map((m) => [m.marketIndex, m.symbol]));
  const metricsServer = await serveMetrics(registry, config.metrics.host, config.metrics.priceFeedPort);
  const stopHeartbeat = startHeartbeat(redis, config.streamPrefix, 'price-feed', () => Date.now());
  const record = async (prices: PublishedPrice[]) => {
    for (const p of prices) lastPublish.set({ market: symbolOf.get(p.marketIndex) ?? '?' }, p.at.getTime() / 1000);
    await db
      .insert(oraclePrices)
      .values(
        prices.map((p) => ({
          marketIndex: p.marketIndex,
          publishedAt: p.at,
          price: p.price,
          confidence: p.confidence,
          slot: BigInt(p.slot),
        })),
      )
      .onConflictDoNothing();
  };
  const feed = new PriceFeed(
    markets,
    localnetSink(config.solana.localnetControlUrl),
    redis,
    config.streamPrefix,
    seededRandom(BigInt(Date.now())),
    DEFAULT_PATH,
    record,
  );
  logger.info({ markets: markets.map((m) => m.symbol), everyMs: config.solana.priceFeedMs }, 'price feed running');
  while (!stop.signal.aborted) {
    const started = performance.now();
    try {
      await feed.step(new Date());
      steps.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
    } catch (err) {
      steps.observe({ outcome: 'error' }, (performance.now() - started) / 1000);
      logger.warn({ err }, 'price step failed; retrying next tick');
    }
    await sleep(config.solana.priceFeedMs, undefined, { signal: stop.signal }).catch(() => undefined);
  }
  stopHeartbeat();
  await Promise.all([redis.quit(), pool.end(), metricsServer?.close()]);
});
