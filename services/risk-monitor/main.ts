// The risk monitor (started by `npm start`): loads every sub-account from the chain once (RiskBook),
// follows the price streams qd:prices:<symbol> and the workflow firehose. Each price tick starts a
// liquidation (liq:<account>:<market>:<episode>, the episode being the chain's) for every account it puts
// below maintenance, then the waiting orders it crosses (a trigger index following the orders table) are
// told, once each, in a lane of its own; each workflow event re-reads the account it names. A full reload every few minutes catches anything changed outside the workflows.
// The monitor also hosts a worker of the liquidation task queue on the connection its client uses, so the
// server hands each new liquidation's first workflow task straight back to this process (eager start).
import { hostname } from 'node:os';
import { DEFAULT_MARKETS } from '../../domain/perp';
import { firehoseStreamKey, SYSTEM_ACCOUNT, type WorkflowEvent } from '../../domain/workflow-events';
import { loadConfig } from '../../platform/config';
import { createLogger, type Logger } from '../../platform/logger';
import { runMain } from '../../platform/main';
import { createPostgres } from '../../platform/postgres';
import { createRedis } from '../../platform/redis';
import { measuredRpcPool } from '../../solana/rpc-metrics';
import { registerProtocolMetrics } from '../../solana/protocol-metrics';
import { createRegistry, serveMetrics } from '../../platform/metrics';
import { startHeartbeat } from '../../platform/heartbeat';
import { createMonitorMetrics, type TickSource } from './metrics';
import { marketOracleOf } from '../../solana/accounts';
import { readOraclePrice } from '../../solana/pyth-reader';
import { loadKeeperKeypair } from '../../solana/keeper-key';
import { startJournalDrain } from '../../solana/send-journal';
import { RiskMonitor } from './risk-monitor';
import type { probeWorkflow } from '../../workflows';
import { startAttributes, workflowIds } from '../../workflows/definitions';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import {
  createWorker,
  LIQUIDATION_BURST_PG_CONNECTIONS,
  LIQUIDATION_BURST_TUNING,
} from '../../temporal/worker-factory';

const RELOAD_EVERY_MS = 5 * 60_000;
const ORDERS_POLL_MS = 250;
/**
 * How often the monitor reads each market's oracle on chain itself and checks the book at that price,
 * besides the price streams: while Redis is down (or the feed's stream is behind) a price move still
 * reaches the book, and an account that went under water without a price move (its own trade, or an event
 * that reached the book after the tick that should have caught it) is liquidated within this time even in
 * a market whose price stands still. A check that finds nobody under water costs no server call.
 */
const CHAIN_PRICE_POLL_MS = 1_000;

await runMain('risk-monitor', async (onShutdown) => {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'risk-monitor' });
  Runtime.install({ logger: new DefaultLogger('WARN', ({ message, meta }) => logger.warn({ sdk: meta }, message)) });
  const redis = createRedis(config.redis.url, 'quantdesk-risk-monitor');
  const registry = createRegistry('risk-monitor');
  const rpcPool = measuredRpcPool(registry, config.solana);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  let stopping = false;
  const keeper = config.solana.keeperKeypairFile ? loadKeeperKeypair(config.solana.keeperKeypairFile) : null;
  // The trigger index reads the orders table; a keeper's liquidation worker writes its rows through the same pool.
  const pg = createPostgres(config.postgres.url, {
    applicationName: 'quantdesk-risk-monitor',
    max: keeper ? LIQUIDATION_BURST_PG_CONNECTIONS : 2,
  });
  // Without a keeper key this process only detects; the main worker's liquidation worker executes.
  // The worker's activities get a Redis connection of their own: the monitor's blocking XREAD holds its own.
  const activityRedis = keeper ? createRedis(config.redis.url, 'quantdesk-liquidation-worker') : null;
  const worker =
    keeper && activityRedis
      ? await createWorker(
          {
            ...config.temporal,
            taskQueue: config.temporal.liquidationTaskQueue,
            connection,
            tuning: LIQUIDATION_BURST_TUNING,
          },
          {
            pool: pg.pool,
            db: pg.db,
            redis: activityRedis,
            streamPrefix: config.streamPrefix,
            rpcPool,
            keeper,
            temporal,
          },
        )
      : null;
  // A worker that fails stops the monitor too (the process exits non-zero and is restarted).
  let workerFailure: unknown = null;
  const working = worker?.run().catch((err: unknown) => {
    workerFailure = err;
    stopping = true;
  });
  if (worker) startProbe(temporal, config.temporal.liquidationTaskQueue, logger);
  const monitor = new RiskMonitor({
    pool: rpcPool,
    temporal,
    taskQueue: config.temporal.liquidationTaskQueue,
    eagerStart: worker !== null,
    db: pg.db,
  });
  const metrics = createMonitorMetrics(registry, monitor, DEFAULT_MARKETS, () => Date.now());
  registerProtocolMetrics(registry, rpcPool, DEFAULT_MARKETS, keeper?.publicKey ?? null);
  const metricsServer = await serveMetrics(registry, config.metrics.host, config.metrics.riskMonitorPort);
  const stopHeartbeat = startHeartbeat(redis, config.streamPrefix, 'risk-monitor', () => Date.now());
  // Its keeper's transactions journaled in Redis while Postgres was unreachable reach keeper_transactions
  // (the main worker drains the same entries; a copy made twice is kept once).
  const stopJournalDrain = activityRedis
    ? startJournalDrain(activityRedis, config.streamPrefix, pg.db, (err) =>
        logger.warn({ err }, 'keeper journal entries made in Redis not copied to Postgres yet; retrying'),
      )
    : () => undefined;
  onShutdown(() => {
    stopping = true;
    stopJournalDrain();
    worker?.shutdown();
  });
  const firehose = firehoseStreamKey(config.streamPrefix);
  const priceStreams = DEFAULT_MARKETS.map((m) => `${config.streamPrefix}:prices:${m.symbol}`);
  const streams = [firehose, ...priceStreams];
  const lastIds = streams.map(() => '$');
  // The first load before any tick; later reloads scan in the background while ticks are served.
  for (;;) {
    try {
      await monitor.load();
      await monitor.reloadOrders();
      break;
    } catch (err) {
      if (stopping) break;
      logger.warn({ err }, 'risk book not loaded yet; retrying');
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  logger.info(
    { streams, accounts: monitor.book.size, restingOrders: monitor.triggers.size },
    'risk monitor following prices and workflow events',
  );
  // The trigger index follows the orders table in the background: a new or amended order is in it within ORDERS_POLL_MS.
  const following = (async () => {
    while (!stopping) {
      await new Promise((r) => setTimeout(r, ORDERS_POLL_MS));
      await monitor
        .syncOrders()
        .catch((err: unknown) => logger.warn({ err }, 'resting orders not read; the next poll retries'));
    }
  })();
  // Ticks from the streams and from the chain are handled one at a time.
  let ticking: Promise<unknown> = Promise.resolve();
  const handleTick = (marketIndex: number, price: bigint, source: TickSource, publishedAt?: number) => {
    const run = ticking.then(async () => {
      const started = performance.now();
      const outcome = await monitor.onTick(marketIndex, price, Date.now());
      metrics.tick(marketIndex, source, (performance.now() - started) / 1000, outcome, publishedAt);
      return outcome;
    });
    ticking = run.catch(() => undefined);
    return run;
  };
  const fromChain = (async () => {
    while (!stopping) {
      await new Promise((r) => setTimeout(r, CHAIN_PRICE_POLL_MS));
      for (const market of DEFAULT_MARKETS) {
        try {
          // Cached for a few seconds: an admin's set_market_oracle reaches the monitor without a restart.
          const { oracle, kind } = await marketOracleOf(rpcPool, market.marketIndex);
          const { price } = await readOraclePrice(rpcPool, oracle, kind);
          if (price <= 0n) continue;
          const outcome = await handleTick(market.marketIndex, price, 'chain');
          if (outcome.liquidations.length)
            logger.info({ market: market.symbol, price: price.toString(), source: 'chain' }, 'liquidations started');
        } catch (err) {
          logger.debug({ err, market: market.symbol }, 'oracle not read from chain; the next poll retries');
        }
      }
    }
  })();
  let loadedAt = Date.now();
  let reloading = false;
  while (!stopping) {
    try {
      if (!reloading && Date.now() - loadedAt >= RELOAD_EVERY_MS) {
        reloading = true;
        Promise.all([monitor.load(), monitor.reloadOrders()])
          .then(
            () =>
              logger.info(
                { accounts: monitor.book.size, restingOrders: monitor.triggers.size },
                'risk book and resting orders reloaded',
              ),
            (err: unknown) => logger.warn({ err }, 'risk book reload failed; the current book stays'),
          )
          .finally(() => {
            reloading = false;
            loadedAt = Date.now();
          });
      }
      const batch = await redis.xread('COUNT', 1_000, 'BLOCK', 1_000, 'STREAMS', ...streams, ...lastIds);
      for (const [stream, entries] of batch ?? []) {
        const i = streams.indexOf(stream);
        // The stream's place moves only once its entries are handled: an RPC error while re-reading the
        // accounts an event named reads them again on the next round instead of dropping them.
        if (stream === firehose) {
          await monitor.onEvents(entries.map(([, f]) => JSON.parse(f[f.indexOf('event') + 1]!) as WorkflowEvent));
          lastIds[i] = entries.at(-1)![0];
          continue;
        }
        const market = DEFAULT_MARKETS[i - 1]!;
        const priceOf = (fields: string[]) => BigInt(fields[fields.indexOf('price') + 1]!);
        // Ticks that came in together: each may cross waiting orders; the book needs the latest only.
        for (const [, fields] of entries.slice(0, -1)) monitor.tellCrossed(market.marketIndex, priceOf(fields));
        const last = entries.at(-1)![1];
        const publishedAt = Date.parse(last[last.indexOf('at') + 1] ?? '');
        const price = priceOf(last);
        const outcome = await handleTick(
          market.marketIndex,
          price,
          'stream',
          Number.isFinite(publishedAt) ? publishedAt : undefined,
        );
        lastIds[i] = entries.at(-1)![0];
        const entry = {
          market: market.symbol,
          price: price.toString(),
          underwater: outcome.underwater,
          ordersCrossed: outcome.ordersCrossed,
          batches: outcome.liquidations.map((b) => b.workflowId),
          liquidations: outcome.liquidations.reduce((n, b) => n + b.liquidations.length, 0),
        };
        if (outcome.liquidations.length) logger.info(entry, 'liquidations started');
        else logger.debug(entry, 'tick handled');
      }
    } catch (err) {
      logger.warn({ err }, 'risk monitor step failed; the next tick retries');
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  await Promise.all([working, following, fromChain]);
  stopHeartbeat();
  await Promise.all([redis.quit(), activityRedis?.quit(), pg.pool.end(), connection.close(), metricsServer?.close()]);
  if (workerFailure) throw workerFailure;
});

/**
 * A probe workflow on the liquidation queue as the worker starts: its first workflow tasks pay one-time
 * costs (the SDK compiles its message codecs in the workflow thread on first use), a few hundred
 * milliseconds that the first liquidation batches of a crash would otherwise wait for before their chain
 * work; and the operator sees that the liquidation worker answered (a probe, QdKind `probe`).
 */
function startProbe(temporal: Client, taskQueue: string, logger: Logger): void {
  const probeId = `liquidation-worker-${hostname()}-${process.pid}-${Date.now()}`;
  temporal.workflow
    .execute<typeof probeWorkflow>('probeWorkflow', {
      workflowId: workflowIds.probe(probeId),
      taskQueue,
      requestEagerStart: true,
      args: [{ probeId }],
      workflowExecutionTimeout: '1 minute',
      typedSearchAttributes: startAttributes('probe', SYSTEM_ACCOUNT, null),
    })
    .then(
      () => logger.info({ probeId }, 'liquidation worker answered its start probe'),
      (err: unknown) => logger.warn({ err, probeId }, 'the liquidation worker did not answer its start probe'),
    );
}
