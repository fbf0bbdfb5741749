// Resting orders benchmark (JSON on stdout): QD_BENCH_RESTING_ORDERS (10,000) waiting orders in the risk
// monitor's trigger index, as `npm start` runs it (placeOrderWorkflow on a worker process with the keeper).
// - tick handling cost: RiskMonitor.onTick over the same non-crossing ticks with 0 and with 10,000 resting
//   orders (ratio), and, for reference, what the relay did per tick before the index: list every running
//   order of the market in visibility (then signal each one);
// - tick -> crossed orders filled: one tick crosses QD_BENCH_CROSSED (100) of them, spread over 20
//   traders; each order's time from the tick to its workflow's result (filled), p50/p99.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../domain/perp';
import { fetchPricedMarket } from '../solana/accounts';
import { RpcPool } from '../solana/rpc-pool';
import { RiskMonitor } from '../services/risk-monitor/risk-monitor';
import { fundedTrader, startChainHarness, type Trader } from '../tests/support/perp-fixtures';
import { signedOrderBody } from '../tests/support/orders';
import { startServiceProcess } from '../tests/support/worker-process';
import { startAttributes } from '../workflows/definitions';
import { summarize } from './stats';
import { terminateLeftovers } from './cleanup';

const RESTING = Number(process.env.QD_BENCH_RESTING_ORDERS ?? 10_000);
const CROSSED = Number(process.env.QD_BENCH_CROSSED ?? 100);
const TRADERS = 20;
const TICKS = 2_000;
const SOL = 0;

const env = await startChainHarness(1_000n * QUOTE_PRECISION, { providers: 1, worker: false });
const { h, ln, trader: farTrader, connection } = env;
const keyDir = mkdtempSync(join(tmpdir(), 'qd-bench-'));
writeFileSync(join(keyDir, 'keeper.json'), JSON.stringify(ln.bootstrap.keeperKeypair), { mode: 0o600 });
const worker = await startServiceProcess(
  'temporal/worker.ts',
  { ...h.env, QD_KEEPER_KEYPAIR_FILE: join(keyDir, 'keeper.json') },
  'worker polling',
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  const pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
  const start = (await fetchPricedMarket(pool, SOL)).reading.price;
  const near = (start * 99n) / 100n; // the crossed orders' limit: 1 % below the market
  const cross = (start * 98n) / 100n; // the tick that crosses them (and nothing else)
  const monitor = new RiskMonitor({
    pool,
    temporal: h.temporal,
    taskQueue: h.config.temporal.liquidationTaskQueue,
    db: h.db,
  });
  await monitor.load();
  await monitor.syncOrders();

  /** Non-crossing ticks around the market: per-tick time of the monitor's whole tick handling. */
  const tickCost = async () => {
    const samples: number[] = [];
    for (let i = 0; i < TICKS; i++) {
      const price = start + BigInt(i % 100) * 10_000n;
      const t0 = performance.now();
      await monitor.onTick(SOL, price, Date.now());
      samples.push(performance.now() - t0);
    }
    return summarize(samples);
  };
  const withoutOrders = await tickCost();

  const traders: Trader[] = [];
  for (let i = 0; i < TRADERS; i++) traders.push(await fundedTrader(ln, connection, 10_000n * QUOTE_PRECISION));
  const t0 = performance.now();
  const bodies = Array.from({ length: RESTING }, (_, i) =>
    i < CROSSED
      ? // A small buy limit 1 % below the market: filled when the crossing tick comes.
        signedOrderBody(traders[i % TRADERS]!, BASE_PRECISION / 100n, near, 'limit', `near-${i}-${h.id}`, {
          triggerPrice: near,
        })
      : // A buy limit at 1 USDC: rests for its whole life.
        signedOrderBody(farTrader, BASE_PRECISION / 1_000n, PRICE_PRECISION, 'limit', `far-${i}-${h.id}`, {
          triggerPrice: PRICE_PRECISION,
        }),
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        await h.temporal.workflow.start('placeOrderWorkflow', {
          workflowId: `order:${body.order.user}:${body.clientOrderId}`,
          taskQueue: h.config.temporal.taskQueue,
          args: [body],
          typedSearchAttributes: startAttributes('order', body.order.user, SOL),
        });
      }
    }),
  );
  while ((await monitor.syncOrders(), monitor.triggers.size) < RESTING) await sleep(500);
  const placeSeconds = Math.round((performance.now() - t0) / 100) / 10;
  const withOrders = await tickCost();

  // What each tick cost the relay before the index, before its first signal: a listing of every running order.
  const l0 = performance.now();
  let listed = 0;
  for await (const _ of h.temporal.workflow.list({
    query: `QdKind = "order" AND QdMarket = "${SOL}" AND ExecutionStatus = "Running"`,
  }))
    listed++;
  const visibilityListingMs = Math.round(performance.now() - l0);

  await ln.control('/pyth', { marketIndex: SOL, price: cross.toString() });
  const c0 = performance.now();
  const tick = await monitor.onTick(SOL, cross, Date.now());
  const tickMs = performance.now() - c0;
  const crossedIds = bodies.slice(0, CROSSED).map((b) => `order:${b.order.user}:${b.clientOrderId}`);
  const latencies = await Promise.all(
    crossedIds.map(async (id) => {
      const result = (await h.temporal.workflow.getHandle(id).result()) as { status: string; reason?: string };
      if (result.status !== 'filled') throw new Error(`${id} ended ${result.status} ${result.reason ?? ''}`);
      return performance.now() - c0;
    }),
  );
  await monitor.relay.idle();

  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'resting-orders',
        note: "tickHandlingMs: RiskMonitor.onTick (risk book + trigger index + relay enqueue) per non-crossing tick; visibilityListingMs: one listing of the running orders, what the relay did per tick before the index (then one signal per order, paced at 200/s); tickToFilledMs: from the crossing tick to each crossed order's workflow result",
        restingOrders: RESTING,
        indexed: monitor.triggers.size + CROSSED,
        placeSeconds,
        listed,
        tickHandlingMs: {
          withoutOrders,
          withOrders,
          ratioP50: Math.round((withOrders.p50 / withoutOrders.p50) * 100) / 100,
        },
        visibilityListingMs,
        crossingTick: {
          ordersCrossed: tick.ordersCrossed,
          handlingMs: Math.round(tickMs * 10) / 10,
          told: monitor.relay.told,
          tickToFilledMs: summarize(latencies),
        },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await worker.kill();
  await terminateLeftovers(h, 'resting-orders');
  await env.stop();
}
