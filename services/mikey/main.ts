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
import { createRegistry, serveMetrics } from '../../platform/metrics';
import { Counter, Histogram } from 'prom-client';
import { MikeyRunner } from './runner';
import { DEFAULT_MARKETS } from '../../domain/perp';
import { measuredRpcPool } from '../../solana/rpc-metrics';
import { RiskBook } from '../risk-monitor/risk-book';
import { marketFlow, sampleMarket } from './market-state';
import { AlertDesk } from './trader-alerts';
import { outsideSources, pollOutside } from './outside/feed';

await runMain('mikey', async (onShutdown) => {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'mikey' });
  const redis = createRedis(config.redis.url, 'quantdesk-mikey');
  const { pool, db } = createPostgres(config.postgres.url, { applicationName: 'quantdesk-mikey', max: 2 });
  const runner = new MikeyRunner(redis, db, config.streamPrefix, `${hostname()}-${process.pid}`);
  const registry = createRegistry('mikey');
  const written = new Counter({
    name: 'qd_mikey_insights_total',
    help: 'Insights MIKEY wrote, by market and kind',
    labelNames: ['market', 'kind'] as const,
    registers: [registry],
  });
  const steps = new Histogram({
    name: 'qd_mikey_step_duration_seconds',
    help: 'One read of the streams handled and its insights written, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const metricsServer = await serveMetrics(registry, config.metrics.host, config.metrics.mikeyPort);
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
  // The chain's side of the markets, sampled into MIKEY's own input streams (replayable like the rest).
  const rpcPool = measuredRpcPool(registry, config.solana);
  let book: { value: RiskBook; at: number } | null = null;
  const sample = async () => {
    const now = Date.now();
    if (!book || now - book.at >= config.mikey.bookMs) {
      const value = new RiskBook();
      await value.load(
        rpcPool,
        DEFAULT_MARKETS.map((m) => m.marketIndex),
      );
      book = { value, at: now };
    }
    for (const m of DEFAULT_MARKETS) {
      // The fills since the previous sample (the first looks back one interval).
      const from = sampledAt.get(m.marketIndex) ?? new Date(now - config.mikey.sampleMs);
      const to = new Date(now);
      const flow = await marketFlow(db, m.marketIndex, from, to);
      await runner.recordSample(await sampleMarket(rpcPool, book.value, m.marketIndex, to, flow));
      sampledAt.set(m.marketIndex, to);
    }
  };
  const sampledAt = new Map<number, Date>();
  let sampling = false;
  const sampler = setInterval(() => {
    if (sampling) return; // a slow read (a large book) skips a turn rather than piling up
    sampling = true;
    sample()
      .catch((err: unknown) => logger.warn({ err }, 'MIKEY could not sample the markets; next time'))
      .finally(() => (sampling = false));
  }, config.mikey.sampleMs);
  onShutdown(() => clearInterval(sampler));
  // Other venues' prices, funding and open interest (ccxt; replayed from recordings unless QD_OUTSIDE_MODE=live).
  const sources = outsideSources(config.outside.venues, config.outside.mode);
  let polling = false;
  const poll = () => {
    if (polling || !sources.length) return;
    polling = true;
    pollOutside(
      redis,
      config.streamPrefix,
      sources,
      DEFAULT_MARKETS.map((m) => m.symbol),
      new Date(),
    )
      .then((statuses) => {
        for (const s of statuses.filter((x) => x.state === 'unavailable'))
          logger.warn({ venue: s.venue, error: s.error }, 'outside source unavailable');
      })
      .catch((err: unknown) => logger.warn({ err }, 'MIKEY could not read the outside sources; next time'))
      .finally(() => (polling = false));
  };
  poll();
  const poller = setInterval(poll, config.outside.everyMs);
  onShutdown(() => clearInterval(poller));
  // Traders' alerts: every subscribed account checked against the chain each QD_MIKEY_ALERT_MS.
  const desk = new AlertDesk(db, redis, rpcPool, config.streamPrefix);
  const traderAlerts = new Counter({
    name: 'qd_mikey_trader_alerts_total',
    help: "Alerts MIKEY fired for traders' subscriptions, by kind",
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const fired = (alerts: { kind: string }[]) => alerts.forEach((a) => traderAlerts.inc({ kind: a.kind }));
  let checking = false;
  const checker = setInterval(() => {
    if (checking) return;
    checking = true;
    desk
      .check(new Date())
      .then(fired)
      .catch((err: unknown) => logger.warn({ err }, "MIKEY could not check traders' alerts; next time"))
      .finally(() => (checking = false));
  }, config.mikey.alertMs);
  onShutdown(() => clearInterval(checker));
  logger.info('MIKEY following prices and workflow events');
  while (!stopping) {
    const started = performance.now();
    try {
      const insights = await runner.step(1_000, async (i) => fired(await desk.onInsights(i)));
      steps.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
      for (const i of insights) {
        written.inc({ market: i.market, kind: i.kind });
        logger.info({ market: i.market, kind: i.kind, value: i.value }, i.summary);
      }
    } catch (err) {
      steps.observe({ outcome: 'error' }, (performance.now() - started) / 1000);
      logger.warn({ err }, 'MIKEY step failed; retrying');
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  stopHeartbeat();
  await Promise.all([redis.quit(), pool.end(), metricsServer?.close()]);
});
