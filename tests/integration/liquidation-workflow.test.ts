import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { insuranceFundLedger, liquidations } from '../../drizzle/schema';
import { RiskMonitor, scanMarketForLiquidations } from '../../activities/risk/risk-monitor';
import { accountStreamKey, type WorkflowEvent } from '../../domain/workflow-events';
import { RpcPool } from '../../activities/chain/rpc-pool';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import type { LiquidationResult } from '../../workflows/liquidation-workflow';
import type { Progress } from '../../workflows/definitions';
import type { Harness } from '../support/harness';
import { startChainHarness, type Trader } from '../support/perp-fixtures';
import { placeAndWait, signedOrderBody } from '../support/orders';
import { recordHistory } from '../support/histories';
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

describe('liquidation on the real stack', () => {
  it('is started by the risk monitor once per period, cancels resting orders and liquidates partially', async () => {
    await placeAndWait(h, trader, signedOrderBody(trader, 60n * BASE_PRECISION, 160n * PRICE_PRECISION, 'market', `liq-open-${h.id}`));
    // A resting take-profit that the liquidation must cancel first.
    const res = await asWallet(h.apiUrl, trader.wallet, '/v1/orders', {
      body: signedOrderBody(trader, -10n * BASE_PRECISION, 0n, 'take_profit', `liq-tp-${h.id}`, { triggerPrice: 200n * PRICE_PRECISION, reduceOnly: true }),
    });
    const { workflowId: restingOrder } = (await res.json()) as { workflowId: string };
    await new Promise((r) => setTimeout(r, 500));

    await env.ln.control('/advance', { slots: 2, secs: 1 });
    await setPrice(135n * PRICE_PRECISION); // ~60 SOL long on ~1,000 USDC: under maintenance
    const monitor = { pool: new RpcPool(env.ln.rpcUrls, { now: () => Date.now() }), db: h.db, temporal: h.temporal, taskQueue: h.config.temporal.taskQueue };
    const epoch = String(Math.floor(Date.now() / 60_000));
    const started = await scanMarketForLiquidations(monitor, 0, epoch);
    expect(started).toEqual([`liq:${trader.user.toBase58()}:0:${epoch}`]);
    expect(await scanMarketForLiquidations(monitor, 0, epoch)).toEqual([]); // the same period: not twice

    const result = (await h.temporal.workflow.getHandle(started[0]!).result()) as LiquidationResult;
    expect(result.status).toBe('liquidated');
    expect(result.steps).toBeGreaterThanOrEqual(1);
    expect(BigInt(result.fees)).toBeGreaterThan(0n);
    const base = BigInt((await trader.program.account.user.fetch(trader.user)).positions[0]!.base.toString());
    expect(base).toBeGreaterThan(0n);
    expect(base).toBeLessThan(60n * BASE_PRECISION);
    expect(BigInt(result.closedBase)).toBe(60n * BASE_PRECISION - base);

    expect(((await h.temporal.workflow.getHandle(restingOrder).result()) as { status: string }).status).toBe('cancelled');
    const [row] = await h.db.select().from(liquidations).where(eq(liquidations.id, started[0]!));
    expect(row).toMatchObject({ closedBase: BigInt(result.closedBase), fee: BigInt(result.fees), price: 135n * PRICE_PRECISION });
    const ledger = await h.db.select().from(insuranceFundLedger).where(eq(insuranceFundLedger.entryKey, `liq-fee:${started[0]}`));
    expect(ledger[0]!.delta).toBe(BigInt(result.fees));
    const steps = (await h.temporal.workflow.getHandle(started[0]!).query<Progress>('getProgress')).steps.map((s) => s.step);
    expect(steps.slice(0, 2)).toEqual(['rechecked', 'orders-cancelled']);
    expect(steps.at(-1)).toBe('recorded');
    await recordHistory(h.temporal, started[0]!, 'liquidation');
  });

  it('finds a healthy account healthy and changes nothing', async () => {
    const handle = await h.temporal.workflow.start('liquidationWorkflow', {
      workflowId: `liq:${trader.user.toBase58()}:0:healthy-${h.id}`, taskQueue: h.config.temporal.taskQueue,
      args: [{ account: trader.user.toBase58(), wallet: trader.wallet.publicKey.toBase58(), marketIndex: 0, epoch: `healthy-${h.id}` }],
    });
    expect(((await handle.result()) as LiquidationResult).status).toBe('healthy');
  });

  it('keeps the risk monitor\'s book current: a reload swaps in the chain\'s state, events re-read their accounts', async () => {
    const monitor = new RiskMonitor({ pool: new RpcPool(env.ln.rpcUrls, { now: () => Date.now() }), temporal: h.temporal, taskQueue: h.config.temporal.taskQueue });
    await monitor.load();
    const account = trader.user.toBase58();
    const before = monitor.book.marginAccount(account)!;
    expect(before.positions).toHaveLength(1); // what the liquidation left
    // The trader closes the rest; the order workflow's events name the account and the book re-reads it.
    const { workflowId } = await placeAndWait(h, trader, signedOrderBody(trader, -before.positions[0]!.position.base, 0n, 'market', `liq-close-${h.id}`, { reduceOnly: true }));
    const events = (await h.redis.xrange(accountStreamKey(h.config.streamPrefix, account), '-', '+')).map(([, f]) => JSON.parse(f[1]!) as WorkflowEvent);
    await monitor.onEvents(events.filter((e) => e.workflowId === workflowId));
    expect(monitor.book.marginAccount(account)!.positions).toEqual([]);
    await monitor.load(); // a full reload agrees
    expect(monitor.book.marginAccount(account)!.positions).toEqual([]);
  });
});
