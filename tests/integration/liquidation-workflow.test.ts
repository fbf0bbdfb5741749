import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keypair } from '@solana/web3.js';
import { eq } from 'drizzle-orm';
import { insuranceFundLedger, liquidations } from '../../drizzle/schema';
import { RiskMonitor, scanMarketForLiquidations } from '../../services/risk-monitor/risk-monitor';
import { accountStreamKey, type WorkflowEvent } from '../../domain/workflow-events';
import { RpcPool } from '../../solana/rpc-pool';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import type { LiquidationResult } from '../../workflows/liquidation-workflow';
import type { Progress } from '../../workflows/definitions';
import type { Harness } from '../support/harness';
import { startChainHarness, type Trader } from '../support/perp-fixtures';
import { placeAndWait, signedOrderBody } from '../support/orders';
import { recordHistory } from '../support/histories';
import { onlyLiquidation } from '../support/liquidations';
import { asWallet } from '../support/auth';

let env: Awaited<ReturnType<typeof startChainHarness>>;
let h: Harness;
let trader: Trader;

beforeAll(async () => {
  env = await startChainHarness(1_000n * QUOTE_PRECISION);
  ({ h, trader } = env);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const setPrice = (price: bigint) => env.ln.control('/pyth', { marketIndex: 0, price: price.toString() });
const monitor = () => ({
  pool: new RpcPool(env.ln.rpcUrls, { now: () => Date.now() }),
  temporal: h.temporal,
  taskQueue: h.config.temporal.taskQueue,
});

describe('liquidation on the real stack', () => {
  it('is started by the risk monitor once per chain episode, liquidates partially, then cancels resting orders', async () => {
    await placeAndWait(
      h,
      trader,
      signedOrderBody(trader, 60n * BASE_PRECISION, 160n * PRICE_PRECISION, 'market', `liq-open-${h.id}`),
    );
    // A resting take-profit that the liquidation must cancel.
    const res = await asWallet(h.apiUrl, trader.wallet, '/v1/orders', {
      body: signedOrderBody(trader, -10n * BASE_PRECISION, 0n, 'take_profit', `liq-tp-${h.id}`, {
        triggerPrice: 200n * PRICE_PRECISION,
        reduceOnly: true,
      }),
    });
    const { workflowId: restingOrder } = (await res.json()) as { workflowId: string };
    await new Promise((r) => setTimeout(r, 500));

    await env.ln.control('/advance', { slots: 2, secs: 1 });
    await setPrice(135n * PRICE_PRECISION); // ~60 SOL long on ~1,000 USDC: under maintenance
    const batches = await scanMarketForLiquidations(monitor(), 0);
    expect(batches.map((b) => b.liquidations)).toEqual([[`liq:${trader.user.toBase58()}:0:1`]]); // the account's first episode
    expect(await scanMarketForLiquidations(monitor(), 0)).toEqual([]); // running, or done and healthy: not twice

    const result = await onlyLiquidation(h.temporal, batches);
    expect(result).toMatchObject({ id: `liq:${trader.user.toBase58()}:0:1`, status: 'liquidated' });
    expect(result.steps).toBeGreaterThanOrEqual(1);
    expect(BigInt(result.fees)).toBeGreaterThan(0n);
    const user = await trader.program.account.user.fetch(trader.user);
    const base = BigInt(user.positions[0]!.base.toString());
    expect(base).toBeGreaterThan(0n);
    expect(base).toBeLessThan(60n * BASE_PRECISION);
    expect(BigInt(result.closedBase)).toBe(60n * BASE_PRECISION - base);
    expect({
      seq: user.liquidationSeq.toString(),
      open: user.beingLiquidated,
      steps: user.liquidationSteps.toString(),
    }).toEqual({ seq: '1', open: false, steps: String(result.steps) });

    expect(((await h.temporal.workflow.getHandle(restingOrder).result()) as { status: string }).status).toBe(
      'cancelled',
    );
    const [row] = await h.db.select().from(liquidations).where(eq(liquidations.id, result.id));
    expect(row).toMatchObject({
      closedBase: BigInt(result.closedBase),
      fee: BigInt(result.fees),
      price: 135n * PRICE_PRECISION,
      steps: result.steps,
      liquidationSeq: 1n,
    });
    const ledger = await h.db
      .select()
      .from(insuranceFundLedger)
      .where(eq(insuranceFundLedger.entryKey, `liq-fee:${result.id}`));
    expect(ledger[0]!.delta).toBe(BigInt(result.fees));
    // The batch is found by the account; its progress and the account's events name each step once.
    const { workflowId } = batches[0]!;
    const found = [];
    for await (const wf of h.temporal.workflow.list({
      query: `QdAccounts = "${trader.user.toBase58()}" AND QdKind = "liquidation"`,
    }))
      found.push(wf.workflowId);
    expect(found).toContain(workflowId);
    const stepNames = [
      ...Array.from({ length: result.steps }, (_, i) => `liquidated-${i}`),
      'recorded',
      'orders-cancelled',
    ];
    const progress = await h.temporal.workflow.getHandle(workflowId).query<Progress>('getProgress');
    expect(progress.steps.map((s) => s.step)).toEqual(stepNames.map((s) => `${s} ${trader.user.toBase58()}`));
    const events = (await h.redis.xrange(accountStreamKey(h.config.streamPrefix, trader.user.toBase58()), '-', '+'))
      .map(([, f]) => JSON.parse(f[1]!) as WorkflowEvent)
      .filter((e) => e.workflowId === workflowId);
    expect(events.map((e) => e.step)).toEqual(stepNames);
    expect(events.every((e) => e.kind === 'liquidation' && e.detail?.liquidation === result.id)).toBe(true);
    // The trader sees the batch through the API with its own account's steps; another wallet does not.
    const own = await asWallet(h.apiUrl, trader.wallet, `/v1/workflows/${encodeURIComponent(workflowId)}`);
    expect(own.status).toBe(200);
    expect(((await own.json()) as { progress: Progress }).progress.steps.map((s) => s.step)).toEqual(
      stepNames.map((s) => `${s} ${trader.user.toBase58()}`),
    );
    expect(
      (await asWallet(h.apiUrl, Keypair.generate(), `/v1/workflows/${encodeURIComponent(workflowId)}`)).status,
    ).toBe(403);
    await recordHistory(h.temporal, workflowId, 'liquidation-batch');
  });

  it('liquidates again at once when the account falls under again, and refuses the finished episode', async () => {
    await env.ln.control('/advance', { slots: 2, secs: 1 });
    await setPrice(133n * PRICE_PRECISION); // just under maintenance again (the first episode left it 0.5 % above)
    const batches = await scanMarketForLiquidations(monitor(), 0);
    expect(batches.map((b) => b.liquidations)).toEqual([[`liq:${trader.user.toBase58()}:0:2`]]);
    expect((await onlyLiquidation(h.temporal, batches)).status).toBe('liquidated');

    // A stale detector asking for episode 1 again: the program refuses it, nothing is executed or written.
    const account = trader.user.toBase58();
    const stale = (await h.temporal.workflow.execute('liquidationWorkflow', {
      workflowId: `liq:${account}:0:1`,
      taskQueue: h.config.temporal.taskQueue,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      args: [{ account, wallet: trader.wallet.publicKey.toBase58(), marketIndex: 0, seq: '1' }],
    })) as LiquidationResult;
    expect(stale).toMatchObject({ status: 'stale', steps: 0 });
    expect(await h.db.select().from(liquidations).where(eq(liquidations.account, account))).toHaveLength(2);
  });

  it('finds a healthy account healthy and changes nothing', async () => {
    await setPrice(150n * PRICE_PRECISION);
    const account = trader.user.toBase58();
    const handle = await h.temporal.workflow.start('liquidationWorkflow', {
      workflowId: `liq:${account}:0:3`,
      taskQueue: h.config.temporal.taskQueue,
      args: [{ account, wallet: trader.wallet.publicKey.toBase58(), marketIndex: 0, seq: '3' }],
    });
    expect(((await handle.result()) as LiquidationResult).status).toBe('healthy');
    expect((await trader.program.account.user.fetch(trader.user)).liquidationSeq.toString()).toBe('2');
  });

  it("keeps the risk monitor's book current: a reload swaps in the chain's state, events re-read their accounts", async () => {
    const monitor = new RiskMonitor({
      pool: new RpcPool(env.ln.rpcUrls, { now: () => Date.now() }),
      temporal: h.temporal,
      taskQueue: h.config.temporal.taskQueue,
    });
    await monitor.load();
    const account = trader.user.toBase58();
    const before = monitor.book.marginAccount(account)!;
    expect(before.positions).toHaveLength(1); // what the liquidation left
    // The trader closes the rest; the order workflow's events name the account and the book re-reads it.
    const { workflowId } = await placeAndWait(
      h,
      trader,
      signedOrderBody(trader, -before.positions[0]!.position.base, 0n, 'market', `liq-close-${h.id}`, {
        reduceOnly: true,
      }),
    );
    const events = (await h.redis.xrange(accountStreamKey(h.config.streamPrefix, account), '-', '+')).map(
      ([, f]) => JSON.parse(f[1]!) as WorkflowEvent,
    );
    await monitor.onEvents(events.filter((e) => e.workflowId === workflowId));
    expect(monitor.book.marginAccount(account)!.positions).toEqual([]);
    await monitor.load(); // a full reload agrees
    expect(monitor.book.marginAccount(account)!.positions).toEqual([]);
  });
});
