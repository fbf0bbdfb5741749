// Concurrent liquidations and bankruptcies on the real stack: the books match the chain exactly, and the
// chain step never waits for bookkeeping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublicKey } from '@solana/web3.js';
import { Redis } from 'ioredis';
import { eq, inArray, like, sum } from 'drizzle-orm';
import { eventOutbox, insuranceFundLedger, keeperTransactions, liquidations, positions } from '../../drizzle/schema';
import { createPostgres, type Database } from '../../platform/postgres';
import type pg from 'pg';
import { drainJournalFallback, journalFallbackPending } from '../../solana/send-journal';
import { drainEventOutbox } from '../../activities/bookkeeping/publish-workflow-event';
import { BASE_PRECISION, PRICE_PRECISION } from '../../domain/perp';
import { fetchInsuranceFund } from '../../solana/accounts';
import { perpAccountsCoder, type DecodedUser } from '../../solana/perp-coders';
import { RpcPool } from '../../solana/rpc-pool';
import { RiskMonitor, startLiquidations } from '../../services/risk-monitor/risk-monitor';
import type { LiquidationBatchResult } from '../../workflows/liquidation-batch-workflow';
import { liquidationsOf } from '../support/liquidations';
import { switchableProxy } from '../support/switchable-proxy';
import { accountStreamKey, type WorkflowEvent } from '../../domain/workflow-events';
import { createWorker } from '../../temporal/worker-factory';
import { startHarness, waitFor, workflowBundle, type Harness } from '../support/harness';
import { startLocalnet, type Localnet } from '../support/localnet';
import { keeperOf } from '../support/perp-fixtures';

const SOL = 0;
const START = 150n * PRICE_PRECISION;
const SIZE = BASE_PRECISION / 10n; // 15 USDC notional

let ln: Localnet;
let h: Harness;
let pool: RpcPool;

beforeAll(async () => {
  ln = await startLocalnet(1);
  h = await startHarness({ QD_SOLANA_RPC_URLS: ln.rpcUrls.join(',') }, { worker: true, keeper: keeperOf(ln) });
  pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
}, 180_000);

afterAll(async () => {
  await h?.close();
  await ln?.stop();
});

const seed = (count: number, collateral: bigint, base: bigint) =>
  ln
    .control<{ traders: { wallet: string; user: string }[] }>('/seed-traders', {
      marketIndex: SOL,
      count,
      collateral: collateral.toString(),
      baseAmount: base.toString(),
      limitPrice: (base > 0n ? 2n * START : 1n).toString(),
      oraclePrice: START.toString(),
    })
    .then((r) => r.traders.map((t) => t.user));

async function users(accounts: string[]): Promise<DecodedUser[]> {
  const infos = await pool.call('read users', (c) =>
    c.getMultipleAccountsInfo(
      accounts.map((a) => new PublicKey(a)),
      'confirmed',
    ),
  );
  return infos.map((info) => perpAccountsCoder.decode<DecodedUser>('user', info!.data));
}

/** A worker with the keeper on `queue`, reaching Postgres and Redis through the given clients (a proxy to blink). */
async function keeperWorker(queue: string, stores: { pool: pg.Pool; db: Database; redis: Redis }) {
  return createWorker(
    { ...h.config.temporal, taskQueue: queue, workflowBundle: await workflowBundle() },
    { ...stores, streamPrefix: h.config.streamPrefix, rpcPool: pool, keeper: keeperOf(ln), temporal: h.temporal },
  );
}

/** Starts one account's liquidation (a batch of one) on `queue` and waits until its chain step has landed. */
async function liquidateOne(queue: string, account: string) {
  const wallet = (await users([account]))[0]!.authority.toBase58();
  const [batch] = await startLiquidations({ pool, temporal: h.temporal, taskQueue: queue }, SOL, [
    { account, wallet, seq: '1' },
  ]);
  await waitFor(
    'the chain step',
    async () => ((await users([account]))[0]!.liquidationSteps.toString() !== '0' ? true : undefined),
    15_000,
  );
  return h.temporal.workflow.getHandle(batch!.workflowId);
}

describe('liquidation books under concurrency', () => {
  it('books every step and every bankruptcy exactly as the program executed them', async () => {
    // At 135 (-10 %): 1.8 USDC on a 0.1 SOL long is under maintenance with equity left (partial steps);
    // 0.9 USDC is 0.6 short of zero (bankrupt: insurance, then socialized). Shorts take the other side.
    const partial = await seed(20, 1_800_000n, SIZE);
    const bankrupt = await seed(12, 900_000n, SIZE);
    await seed(48, 5_000_000n, -SIZE); // the larger side: socialized loss is charged to it, not to the longs under test
    const insuranceBefore = await fetchInsuranceFund(pool);

    await ln.control('/pyth', { marketIndex: SOL, price: (135n * PRICE_PRECISION).toString() });
    // Batches of 5: seven workflows run side by side, as a crash's first wave does.
    const monitor = new RiskMonitor({
      pool,
      temporal: h.temporal,
      taskQueue: h.config.temporal.taskQueue,
      batchSize: 5,
    });
    await monitor.load();
    const { liquidations: batches } = await monitor.onTick(SOL, 135n * PRICE_PRECISION, Date.now(), {
      relayToOrders: false,
    });
    expect(batches).toHaveLength(Math.ceil((partial.length + bankrupt.length) / 5));
    const started = batches.flatMap((b) => b.liquidations);
    expect(started.sort()).toEqual([...partial, ...bankrupt].map((a) => `liq:${a}:${SOL}:1`).sort());
    // A retried tick while they run starts nothing twice; a second detector naming the same accounts in
    // other batches starts them, and each of its runs sends the first run's journaled transactions (or
    // finds the episode over): the chain executes every step once and both report the same steps.
    expect(
      (await monitor.onTick(SOL, 135n * PRICE_PRECISION, Date.now(), { relayToOrders: false })).liquidations,
    ).toEqual([]);
    const second = new RiskMonitor({
      pool,
      temporal: h.temporal,
      taskQueue: h.config.temporal.taskQueue,
      batchSize: 7,
    });
    await second.load();
    const duplicates = (await second.onTick(SOL, 135n * PRICE_PRECISION, Date.now(), { relayToOrders: false }))
      .liquidations;
    const results = await liquidationsOf(h.temporal, batches);
    const twice = await liquidationsOf(h.temporal, duplicates);

    // Whichever runner reached an episode first executed it; the other sent the same journaled transactions
    // (the same report) or found the episode over (stale): every account liquidated, the same way by both.
    const first = new Map(results.map((r) => [r.id, r]));
    const again = new Map(twice.map((r) => [r.id, r]));
    for (const id of started) {
      const ran = [first.get(id), again.get(id)].filter((r) => r !== undefined && r.status !== 'stale');
      expect(ran.length).toBeGreaterThan(0);
      for (const r of ran) expect(r).toEqual({ ...ran[0], status: 'liquidated' });
    }
    const rows = await h.db.select().from(liquidations).where(inArray(liquidations.id, started));
    expect(rows).toHaveLength(started.length); // every liquidation the program executed has its row
    const chain = await users([...partial, ...bankrupt]);
    const stepsOnChain = chain.reduce((n, u) => n + Number(u.liquidationSteps.toString()), 0);
    expect(rows.reduce((n, r) => n + r.steps, 0)).toBe(stepsOnChain); // rows = on-chain executions
    expect(chain.every((u) => u.liquidationSeq.toString() === '1' && !u.beingLiquidated)).toBe(true);

    const ledger = await h.db.select({ total: sum(insuranceFundLedger.delta) }).from(insuranceFundLedger);
    expect(BigInt(ledger[0]!.total ?? '0')).toBe((await fetchInsuranceFund(pool)) - insuranceBefore);

    const bankruptcies = rows.filter((r) => r.insurancePaid > 0n || r.socializedLoss > 0n);
    expect(bankruptcies.map((r) => r.account).sort()).toEqual([...bankrupt].sort());
    expect(rows.every((r) => r.socializedLoss >= 0n && r.insurancePaid >= 0n)).toBe(true);
    // The fund ran dry under concurrent bankruptcies: both the fund and socialization paid, never twice.
    expect(bankruptcies.some((r) => r.insurancePaid > 0n)).toBe(true);
    expect(bankruptcies.some((r) => r.socializedLoss > 0n)).toBe(true);
    expect((await users(bankrupt)).every((u) => u.collateral.toString() === '0')).toBe(true);
    // Positions follow the chain: what the partial steps left, and nothing for the bankrupt accounts (flat).
    const held = await h.db
      .select()
      .from(positions)
      .where(inArray(positions.account, [...partial, ...bankrupt]));
    const onChain = new Map(chain.map((u, i) => [[...partial, ...bankrupt][i]!, u]));
    expect(held.map((p) => p.account).sort()).toEqual(
      partial
        .filter((a) => onChain.get(a)!.positions.some((p) => p.marketIndex === SOL && p.base.toString() !== '0'))
        .sort(),
    );
    for (const p of held)
      expect(p.baseAmount.toString()).toBe(
        onChain
          .get(p.account)!
          .positions.find((q) => q.marketIndex === SOL)!
          .base.toString(),
      );

    // Healthy again: a later tick at the same price finds nobody.
    await monitor.load();
    expect(
      (await monitor.onTick(SOL, 135n * PRICE_PRECISION, Date.now() + 60_000, { relayToOrders: false })).liquidations,
    ).toEqual([]);
  }, 180_000);

  it('executes the chain step and completes while Redis is unreachable; its events reach the stream once it is back', async () => {
    const [account] = await seed(1, 1_800_000n, SIZE);
    await ln.control('/pyth', { marketIndex: SOL, price: (135n * PRICE_PRECISION).toString() });
    const queue = `${h.config.temporal.taskQueue}-blink`;
    // The worker reaches Redis through a proxy that goes down before the liquidation starts: every event
    // publish finds Redis gone and parks its events in the outbox (nothing waits on Redis).
    const redisUrl = new URL(h.config.redis.url);
    const proxy = await switchableProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    redisUrl.port = String(proxy.port);
    const blinking = new Redis(redisUrl.toString(), {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 100,
    });
    blinking.on('error', () => undefined);
    const worker = await keeperWorker(queue, { pool: h.pool, db: h.db, redis: blinking });
    proxy.off();
    const [result] = await worker.runUntil(async () => {
      const handle = await liquidateOne(queue, account!);
      // The whole run completes with Redis still gone: its events wait in the outbox.
      const liquidated = ((await handle.result()) as LiquidationBatchResult).liquidations;
      expect((await h.db.select().from(eventOutbox)).length).toBeGreaterThan(0);
      proxy.on();
      await waitFor('the outbox to drain', async () =>
        (await drainEventOutbox(blinking, h.config.streamPrefix, h.db).catch(() => -1)) === 0 ? true : undefined,
      );
      return liquidated;
    });
    blinking.disconnect();
    await proxy.close();
    expect(result!.status).toBe('liquidated');
    const [row] = await h.db
      .select()
      .from(liquidations)
      .where(inArray(liquidations.id, [result!.id]));
    expect(row!.steps).toBe(Number((await users([account!]))[0]!.liquidationSteps.toString()));
    const events = await h.redis.xrange(accountStreamKey(h.config.streamPrefix, account!), '-', '+');
    expect(events.map(([, f]) => (JSON.parse(f[1]!) as WorkflowEvent).step)).toContain('recorded');
  }, 120_000);

  it('executes the chain step while Postgres is unreachable (the keeper journals in Redis); the books catch up once it is back', async () => {
    const [account] = await seed(1, 1_800_000n, SIZE);
    await ln.control('/pyth', { marketIndex: SOL, price: (135n * PRICE_PRECISION).toString() });
    const queue = `${h.config.temporal.taskQueue}-pg-blink`;
    // The worker reaches Postgres through a proxy that goes down before the liquidation starts (Temporal
    // keeps its own database connection): the keeper's journal, the rows and the run records all fail there.
    const pgUrl = new URL(h.config.postgres.url);
    const proxy = await switchableProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    pgUrl.port = String(proxy.port);
    const blinking = createPostgres(pgUrl.toString(), { max: 8 });
    const worker = await keeperWorker(queue, { pool: blinking.pool, db: blinking.db, redis: h.redis });
    proxy.off();
    const [result] = await worker.runUntil(async () => {
      const handle = await liquidateOne(queue, account!);
      // Journaled in Redis, not in Postgres: nothing reached Postgres while it was gone.
      expect(await journalFallbackPending(h.redis, h.config.streamPrefix)).toBeGreaterThan(0);
      expect(await h.db.select().from(liquidations).where(eq(liquidations.account, account!))).toEqual([]);
      proxy.on();
      const liquidated = ((await handle.result()) as LiquidationBatchResult).liquidations;
      while ((await drainJournalFallback(h.redis, h.config.streamPrefix, h.db)) > 0);
      return liquidated;
    });
    await blinking.pool.end();
    await proxy.close();
    expect(result!.status).toBe('liquidated');
    const onChain = Number((await users([account!]))[0]!.liquidationSteps.toString());
    const [row] = await h.db.select().from(liquidations).where(eq(liquidations.id, result!.id));
    expect(row!.steps).toBe(onChain);
    // Every step the chain executed is in the journal, with the signature the row names.
    const journaled = await h.db
      .select()
      .from(keeperTransactions)
      .where(like(keeperTransactions.key, `${result!.id}:%`));
    expect(journaled.length).toBeGreaterThanOrEqual(onChain);
    expect(journaled.map((j) => j.signature)).toContain(row!.signature);
  }, 120_000);
});
