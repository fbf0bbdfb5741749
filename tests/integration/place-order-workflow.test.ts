import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519';
import { Keypair, Transaction } from '@solana/web3.js';
import BN from 'bn.js';
import { eq } from 'drizzle-orm';
import { fills, orders, positions, workflowRuns } from '../../drizzle/schema';
import { encodeOrderMessage } from '../../solana/order-message';
import { createOrderActivities, toOrderMessage, type OrderWire } from '../../activities/orders';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import type { OrderKind } from '../../domain/orders';
import { priceTickSignal, QdStatus, type Progress } from '../../workflows/definitions';
import { waitFor, type Harness } from '../support/harness';
import { RiskMonitor } from '../../services/risk-monitor/risk-monitor';
import { fetchTradeReport } from '../../solana/accounts';
import { RpcPool } from '../../solana/rpc-pool';
import { keeperOf, startChainHarness, type Trader } from '../support/perp-fixtures';
import { recordHistory } from '../support/histories';
import { asWallet } from '../support/auth';

let env: Awaited<ReturnType<typeof startChainHarness>>;
let h: Harness;
let trader: Trader;
let nonce = 0n;

beforeAll(async () => {
  env = await startChainHarness(2_000n * QUOTE_PRECISION);
  ({ h, trader } = env);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

function signedOrder(
  baseAmount: bigint,
  limitPrice: bigint,
  kind: OrderKind,
  extra: { triggerPrice?: bigint; expiryTs?: bigint; reduceOnly?: boolean; nonce?: bigint; marketIndex?: number } = {},
) {
  nonce += 1n;
  const order: OrderWire = {
    user: trader.user.toBase58(),
    marketIndex: extra.marketIndex ?? 0,
    baseAmount: baseAmount.toString(),
    limitPrice: limitPrice.toString(),
    reduceOnly: extra.reduceOnly ?? false,
    nonce: (extra.nonce ?? nonce).toString(),
    expiryTs: (extra.expiryTs ?? 4_000_000_000n).toString(),
  };
  const signature = Buffer.from(
    ed25519.sign(encodeOrderMessage(toOrderMessage(order)), trader.wallet.secretKey.subarray(0, 32)),
  ).toString('base64');
  return {
    order,
    authority: trader.wallet.publicKey.toBase58(),
    signature,
    kind,
    clientOrderId: `c-${nonce}-${h.id}`,
    ...(extra.triggerPrice ? { triggerPrice: extra.triggerPrice.toString() } : {}),
  };
}

async function place(body: unknown): Promise<string> {
  const res = await asWallet(h.apiUrl, trader.wallet, '/v1/orders', { body });
  expect(res.status).toBe(202);
  return ((await res.json()) as { workflowId: string }).workflowId;
}

const onChainBase = async () =>
  BigInt((await trader.program.account.user.fetch(trader.user)).positions[0]!.base.toString());
const progressOf = (workflowId: string) => h.temporal.workflow.getHandle(workflowId).query<Progress>('getProgress');

describe('placeOrderWorkflow on the real stack', () => {
  it('fills a market order at once and records the order, the fill and the position', async () => {
    const workflowId = await place(signedOrder(2n * BASE_PRECISION, 160n * PRICE_PRECISION, 'market'));
    const result = (await h.temporal.workflow.getHandle(workflowId).result()) as {
      status: string;
      signature: string;
      price: string;
    };
    expect(result.status).toBe('filled');
    expect(await onChainBase()).toBe(2n * BASE_PRECISION);
    expect((await h.db.select().from(orders).where(eq(orders.id, workflowId)))[0]).toMatchObject({
      status: 'filled',
      kind: 'market',
    });
    const [fill] = await h.db.select().from(fills).where(eq(fills.signature, result.signature));
    expect(fill).toMatchObject({ baseAmount: 2n * BASE_PRECISION, price: BigInt(result.price) });
    expect(fill!.fee).toBeGreaterThan(0n);
    // The row is what the program returned from the transaction (its return data), and the chain agrees.
    const tx = await env.connection.getTransaction(result.signature, {
      commitment: 'confirmed',
      maxSupportedTransactionVersion: 0,
    });
    const returned = (tx!.meta as unknown as { returnData: { programId: string; data: [string, string] } }).returnData;
    expect(returned.programId).toBe(trader.program.programId.toBase58());
    const report = await fetchTradeReport(new RpcPool(env.ln.rpcUrls, { now: () => Date.now() }), result.signature);
    expect(report).toMatchObject({
      baseDelta: (2n * BASE_PRECISION).toString(),
      price: fill!.price.toString(),
      fee: fill!.fee.toString(),
      realizedPnl: '0',
      baseAfter: (2n * BASE_PRECISION).toString(),
    });
    const onChain = await trader.program.account.user.fetch(trader.user);
    expect(report.collateralAfter).toBe(onChain.collateral.toString());
    expect(BigInt(report.collateralAfter)).toBe(2_000n * QUOTE_PRECISION - fill!.fee);
    const [position] = await h.db.select().from(positions).where(eq(positions.account, trader.user.toBase58()));
    expect(position!.baseAmount).toBe(2n * BASE_PRECISION);
    const steps = (await progressOf(workflowId)).steps.map((s) => s.step);
    expect(steps).toEqual(['verified', 'risk-checked', 'filled', 'recorded']);
    await recordHistory(h.temporal, workflowId, 'order');
  });

  it('holds a limit order until a price tick reaches it, then fills', async () => {
    const workflowId = await place(
      signedOrder(BASE_PRECISION, 149n * PRICE_PRECISION, 'limit', { triggerPrice: 149n * PRICE_PRECISION }),
    );
    const handle = h.temporal.workflow.getHandle(workflowId);
    await handle.signal(priceTickSignal, { marketIndex: 0, price: (150n * PRICE_PRECISION).toString() });
    expect((await progressOf(workflowId)).status).toBe('running');
    expect(await onChainBase()).toBe(2n * BASE_PRECISION); // not filled above its limit

    await env.ln.control('/pyth', { marketIndex: 0, price: (148n * PRICE_PRECISION).toString() });
    await handle.signal(priceTickSignal, { marketIndex: 0, price: (148n * PRICE_PRECISION).toString() });
    expect(((await handle.result()) as { status: string }).status).toBe('filled');
    expect(await onChainBase()).toBe(3n * BASE_PRECISION);
  });

  it("rests in the risk monitor's trigger index through 10,000 ticks without its history growing, then fills on the tick that crosses it", async () => {
    const monitor = new RiskMonitor({
      pool: new RpcPool(env.ln.rpcUrls, { now: () => Date.now() }),
      temporal: h.temporal,
      taskQueue: h.config.temporal.liquidationTaskQueue,
      db: h.db,
    });
    await monitor.syncOrders();
    const workflowId = await place(
      signedOrder(BASE_PRECISION, 147n * PRICE_PRECISION, 'limit', { triggerPrice: 147n * PRICE_PRECISION }),
    );
    await waitFor('the order to rest', async () =>
      (await progressOf(workflowId)).steps.some((s) => s.step === 'resting') ? true : undefined,
    );
    expect((await h.db.select().from(orders).where(eq(orders.id, workflowId)))[0]).toMatchObject({
      status: 'open',
      triggerPrice: 147n * PRICE_PRECISION,
    });
    await monitor.syncOrders();
    expect(monitor.triggers.has(workflowId)).toBe(true);
    const historyLength = async () =>
      (await h.temporal.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0;
    const before = await historyLength();
    // Ticks that do not reach a buy limit at 147 (the server runs with a history limit below 10,000 in CI,
    // so an order told of every tick would have been terminated long before the last one).
    for (let i = 0; i < 10_000; i++)
      await monitor.onTick(0, 148n * PRICE_PRECISION + BigInt(i % 1_000) * 1_000n, Date.now());
    await monitor.relay.idle();
    expect(await historyLength()).toBe(before);
    expect((await progressOf(workflowId)).status).toBe('running');

    await env.ln.control('/pyth', { marketIndex: 0, price: (146n * PRICE_PRECISION).toString() });
    const tick = await monitor.onTick(0, 146n * PRICE_PRECISION, Date.now());
    expect(tick.ordersCrossed).toBeGreaterThanOrEqual(1);
    expect(((await h.temporal.workflow.getHandle(workflowId).result()) as { status: string }).status).toBe('filled');
    expect(await onChainBase()).toBe(4n * BASE_PRECISION);
    await monitor.syncOrders();
    expect(monitor.triggers.has(workflowId)).toBe(false); // its row says filled: out of the book
    expect((await h.db.select().from(orders).where(eq(orders.id, workflowId)))[0]).toMatchObject({ status: 'filled' });
    const steps = (await progressOf(workflowId)).steps.map((s) => s.step);
    expect(steps).toEqual(['verified', 'risk-checked', 'resting', 'triggered', 'filled', 'recorded']);
    await recordHistory(h.temporal, workflowId, 'order-resting');
  });

  it('tells an order whose trigger was amended at its new trigger, not its old one', async () => {
    const monitor = new RiskMonitor({
      pool: new RpcPool(env.ln.rpcUrls, { now: () => Date.now() }),
      temporal: h.temporal,
      taskQueue: h.config.temporal.liquidationTaskQueue,
      db: h.db,
    });
    // A sell limited at 200 while the oracle says 146: once told, the program refuses its fill (the order
    // ends rejected, the position stays as the next tests expect it).
    const workflowId = await place(
      signedOrder(-BASE_PRECISION, 200n * PRICE_PRECISION, 'stop_loss', {
        triggerPrice: 100n * PRICE_PRECISION,
        reduceOnly: true,
      }),
    );
    await waitFor('the order to rest', async () =>
      (await progressOf(workflowId)).steps.some((s) => s.step === 'resting') ? true : undefined,
    );
    await monitor.syncOrders();
    const res = await asWallet(h.apiUrl, trader.wallet, `/v1/orders/${encodeURIComponent(workflowId)}/amend`, {
      body: { triggerPrice: (120n * PRICE_PRECISION).toString() },
    });
    expect(res.status).toBe(200);
    expect((await h.db.select().from(orders).where(eq(orders.id, workflowId)))[0]!.triggerPrice).toBe(
      120n * PRICE_PRECISION,
    );
    await monitor.syncOrders();
    expect((await monitor.onTick(0, 125n * PRICE_PRECISION, Date.now())).ordersCrossed).toBe(0);
    expect((await monitor.onTick(0, 119n * PRICE_PRECISION, Date.now())).ordersCrossed).toBe(1);
    await monitor.relay.idle();
    expect(monitor.relay.told).toBe(1);
    expect(await h.temporal.workflow.getHandle(workflowId).result()).toEqual({
      status: 'rejected',
      reason: 'SlippageExceeded',
    });
    expect(await onChainBase()).toBe(4n * BASE_PRECISION);
    await recordHistory(h.temporal, workflowId, 'order-amended');
  });

  it('cancels a waiting order through the API and sends nothing', async () => {
    const workflowId = await place(
      signedOrder(-BASE_PRECISION, 0n, 'stop_loss', { triggerPrice: 100n * PRICE_PRECISION, reduceOnly: true }),
    );
    const cancel = await asWallet(h.apiUrl, trader.wallet, `/v1/orders/${encodeURIComponent(workflowId)}/cancel`, {
      method: 'POST',
    });
    expect(cancel.status).toBe(200);
    expect(((await h.temporal.workflow.getHandle(workflowId).result()) as { status: string }).status).toBe('cancelled');
    const again = await asWallet(h.apiUrl, trader.wallet, `/v1/orders/${encodeURIComponent(workflowId)}/cancel`, {
      method: 'POST',
    });
    expect(again.status).toBe(409);
    expect(await onChainBase()).toBe(4n * BASE_PRECISION);
  });

  it("amends a waiting order's trigger through the API, then cancels it; bad amendments are refused", async () => {
    const workflowId = await place(
      signedOrder(-BASE_PRECISION, 0n, 'stop_loss', { triggerPrice: 100n * PRICE_PRECISION, reduceOnly: true }),
    );
    const amend = (id: string, body: unknown) =>
      asWallet(h.apiUrl, trader.wallet, `/v1/orders/${encodeURIComponent(id)}/amend`, { body });
    const ok = await amend(workflowId, { triggerPrice: (120n * PRICE_PRECISION).toString() });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ triggerPrice: (120n * PRICE_PRECISION).toString() });
    // A tick between the old and the new trigger now reaches it: a sell stop fires at or below 120.
    const handle = h.temporal.workflow.getHandle(workflowId);
    await handle.signal(priceTickSignal, { marketIndex: 0, price: (130n * PRICE_PRECISION).toString() });
    expect((await progressOf(workflowId)).status).toBe('running');
    for (const bad of [
      { triggerPrice: '0' },
      { triggerPrice: '12.5' },
      { triggerPrice: 120 },
      {},
      { triggerPrice: '1', extra: true },
    ]) {
      const res = await amend(workflowId, bad);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    expect((await amend(`order:${trader.user.toBase58()}:no-such-${h.id}`, { triggerPrice: '1' })).status).toBe(404);
    expect(
      (
        await asWallet(h.apiUrl, trader.wallet, `/v1/orders/${encodeURIComponent(workflowId)}/cancel`, {
          method: 'POST',
        })
      ).status,
    ).toBe(200);
    expect(((await handle.result()) as { status: string }).status).toBe('cancelled');
    expect((await amend(workflowId, { triggerPrice: '1' })).status).toBe(409); // no longer waiting
  });

  it('expires a waiting order at its expiry time', async () => {
    const expiryTs = BigInt(Math.floor(Date.now() / 1000) + 2);
    const workflowId = await place(
      signedOrder(BASE_PRECISION, 100n * PRICE_PRECISION, 'limit', { triggerPrice: 100n * PRICE_PRECISION, expiryTs }),
    );
    expect(((await h.temporal.workflow.getHandle(workflowId).result()) as { status: string }).status).toBe('expired');
  });

  it('rejects malformed orders with a 400 and starts nothing', async () => {
    const good = signedOrder(BASE_PRECISION, 160n * PRICE_PRECISION, 'market');
    for (const bad of [
      { ...good, kind: 'iceberg' },
      { ...good, order: { ...good.order, baseAmount: '0' } },
      { ...good, order: { ...good.order, user: 'not-a-key' } },
      { ...good, kind: 'limit' }, // no trigger price
      { ...good, signature: 'short' },
    ]) {
      const res = await asWallet(h.apiUrl, trader.wallet, '/v1/orders', { body: bad });
      expect(res.status).toBe(400);
    }
  });

  it("cancels a waiting order on chain with the wallet's own signature: not even a keeper can fill it after", async () => {
    const body = signedOrder(BASE_PRECISION, 120n * PRICE_PRECISION, 'limit', { triggerPrice: 120n * PRICE_PRECISION });
    const workflowId = await place(body);
    const path = `/v1/orders/${encodeURIComponent(workflowId)}/cancel`;
    const sign = async (res: Response) => {
      const { transaction, nonce } = (await res.json()) as { transaction: string; nonce: string };
      const tx = Transaction.from(Buffer.from(transaction, 'base64'));
      tx.partialSign(trader.wallet);
      return { signedTransaction: tx.serialize().toString('base64'), nonce };
    };
    const built = await sign(await asWallet(h.apiUrl, trader.wallet, `${path}/build`, { body: {} }));
    expect(built.nonce).toBe(body.order.nonce);
    // A cancel that names another nonce is not this order's.
    const other = await trader.program.methods
      .cancelOrderNonces([new BN(999_999)])
      .accountsStrict({ authority: trader.wallet.publicKey, user: trader.user })
      .transaction();
    other.feePayer = trader.wallet.publicKey;
    other.recentBlockhash = (await env.connection.getLatestBlockhash()).blockhash;
    other.sign(trader.wallet);
    const refused = await asWallet(h.apiUrl, trader.wallet, path, {
      body: { signedTransaction: other.serialize().toString('base64') },
    });
    expect(refused.status).toBe(400);

    const res = await asWallet(h.apiUrl, trader.wallet, path, { body: { signedTransaction: built.signedTransaction } });
    expect(res.status).toBe(200);
    expect((await res.json()) as { status: string; cancelSignature: string }).toMatchObject({ status: 'cancelled' });
    expect(await h.temporal.workflow.getHandle(workflowId).result()).toEqual({ status: 'cancelled' });
    // A misbehaving keeper sends the signed order anyway: the program refuses it.
    const keeper = createOrderActivities(
      new RpcPool(env.ln.rpcUrls, { now: () => Date.now() }),
      h.db,
      keeperOf(env.ln),
    );
    await expect(keeper.submitFill(body)).rejects.toMatchObject({ type: 'OrderNonceReused', nonRetryable: true });
  });

  it("starts nothing for an order with a bad signature (400) or for another wallet's sub-account (403)", async () => {
    const good = signedOrder(BASE_PRECISION, 160n * PRICE_PRECISION, 'market');
    const tampered = { ...good, order: { ...good.order, baseAmount: (2n * BASE_PRECISION).toString() } }; // signed for 1, asks 2
    const garbage = {
      ...good,
      clientOrderId: `${good.clientOrderId}-g`,
      signature: Buffer.alloc(64, 7).toString('base64'),
    };
    const squatted = {
      ...good,
      clientOrderId: `${good.clientOrderId}-s`,
      order: { ...good.order, user: Keypair.generate().publicKey.toBase58() },
    };
    for (const [body, status, error] of [
      [tampered, 400, 'invalid_signature'],
      [garbage, 400, 'invalid_signature'],
      [squatted, 403, 'forbidden'],
    ] as const) {
      const res = await asWallet(h.apiUrl, trader.wallet, '/v1/orders', { body });
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(error);
      const workflowId = `order:${body.order.user}:${body.clientOrderId}`;
      await expect(h.temporal.workflow.getHandle(workflowId).describe()).rejects.toThrow(); // nothing started
    }
  });

  it('ends a run whose signature check fails as failed, in Temporal and in the books', async () => {
    const good = signedOrder(BASE_PRECISION, 160n * PRICE_PRECISION, 'market');
    const body = { ...good, signature: Buffer.alloc(64, 9).toString('base64') };
    const workflowId = `order:${body.order.user}:${body.clientOrderId}`;
    const handle = await h.temporal.workflow.start('placeOrderWorkflow', {
      workflowId,
      taskQueue: h.config.temporal.taskQueue,
      args: [body],
    });
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).typedSearchAttributes.get(QdStatus)).toBe('failed');
    expect((await h.db.select().from(workflowRuns).where(eq(workflowRuns.workflowId, workflowId)))[0]).toMatchObject({
      status: 'failed',
      step: 'verified',
    });
  });

  it("ends an order the pre-trade rule refuses as rejected at once, with the program's reason, and sends nothing", async () => {
    const before = await onChainBase();
    // A buy whose limit is far below the market: the program would refuse the fill (SlippageExceeded).
    const workflowId = await place(signedOrder(BASE_PRECISION, PRICE_PRECISION, 'market'));
    const handle = h.temporal.workflow.getHandle(workflowId);
    expect(await handle.result()).toEqual({ status: 'rejected', reason: 'SlippageExceeded' });
    expect(await onChainBase()).toBe(before);
    expect((await h.db.select().from(orders).where(eq(orders.id, workflowId)))[0]).toMatchObject({
      status: 'rejected',
      reason: 'SlippageExceeded',
      kind: 'market',
    });
    expect((await handle.describe()).typedSearchAttributes.get(QdStatus)).toBe('failed');
    expect((await progressOf(workflowId)).steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'verified:completed',
      'rejected:failed',
    ]);
    const { events } = await handle.fetchHistory();
    expect(
      (events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'submitFill'),
    ).toHaveLength(0);
  });

  it("ends an order the program refuses as rejected at once, with the program's reason, and sends it once", async () => {
    const before = await onChainBase();
    // A signed order replayed under a new client order ID: nothing in the pre-trade rule sees its nonce,
    // the program refuses it (OrderNonceReused).
    const body = signedOrder(BASE_PRECISION, 160n * PRICE_PRECISION, 'market', { nonce: 1n });
    const workflowId = await place(body);
    const handle = h.temporal.workflow.getHandle(workflowId);
    expect(await handle.result()).toEqual({ status: 'rejected', reason: 'OrderNonceReused' });
    expect(await onChainBase()).toBe(before);
    expect((await h.db.select().from(orders).where(eq(orders.id, workflowId)))[0]).toMatchObject({
      status: 'rejected',
      reason: 'OrderNonceReused',
      kind: 'market',
    });
    expect((await handle.describe()).typedSearchAttributes.get(QdStatus)).toBe('failed');
    expect((await progressOf(workflowId)).steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'verified:completed',
      'risk-checked:completed',
      'rejected:failed',
    ]);
    // One attempt: a rejection is not retried (the fill is a local activity: its marker says which attempt ended it).
    const { events } = await handle.fetchHistory();
    const fills = (events ?? []).flatMap((e) => {
      const marker = e.markerRecordedEventAttributes;
      const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : null;
      const run = data
        ? (JSON.parse(Buffer.from(data).toString()) as { activity_type: string; attempt: number })
        : null;
      return run?.activity_type === 'submitFill' ? [run.attempt] : [];
    });
    expect(fills).toEqual([1]);
  });

  it('expires a market order whose expiry passed before it was sent, and sends nothing', async () => {
    const before = await onChainBase();
    const workflowId = await place(
      signedOrder(BASE_PRECISION, 160n * PRICE_PRECISION, 'market', {
        expiryTs: BigInt(Math.floor(Date.now() / 1000) - 5),
      }),
    );
    expect(await h.temporal.workflow.getHandle(workflowId).result()).toEqual({ status: 'expired' });
    expect(await onChainBase()).toBe(before);
  });

  it('refuses an order the account cannot margin', async () => {
    const workflowId = await place(signedOrder(10_000n * BASE_PRECISION, 200n * PRICE_PRECISION, 'market'));
    // Refused by the pre-trade rule as the program would: rejected with its reason, nothing sent.
    expect(await h.temporal.workflow.getHandle(workflowId).result()).toEqual({
      status: 'rejected',
      reason: 'InsufficientCollateral',
    });
    expect((await h.temporal.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(QdStatus)).toBe(
      'failed',
    );
    expect((await h.db.select().from(orders).where(eq(orders.id, workflowId)))[0]).toMatchObject({
      status: 'rejected',
      reason: 'InsufficientCollateral',
    });
  });
});

describe('a market on a Switchboard feed', () => {
  it('fills an ETH-PERP order at the price of its on-demand pull feed, through the same workflow', async () => {
    // ETH-PERP is listed on Switchboard: the localnet publishes its feed, the keeper and the program read it.
    const { kind } = await env.ln.control<{ kind: string }>('/oracle', {
      marketIndex: 2,
      price: (3_210n * PRICE_PRECISION).toString(),
    });
    expect(kind).toBe('switchboard');
    const base = BASE_PRECISION / 10n;
    const workflowId = await place(signedOrder(base, 3_300n * PRICE_PRECISION, 'market', { marketIndex: 2 }));
    const result = (await h.temporal.workflow.getHandle(workflowId).result()) as { status: string; price: string };
    expect(result.status).toBe('filled');
    // At the feed's price plus the skew premium of a small order: within 1 % above it.
    expect(BigInt(result.price)).toBeGreaterThanOrEqual(3_210n * PRICE_PRECISION);
    expect(BigInt(result.price)).toBeLessThan((3_210n * PRICE_PRECISION * 101n) / 100n);
    const onChain = await trader.program.account.user.fetch(trader.user);
    expect(onChain.positions.find((p) => p.marketIndex === 2)?.base.toString()).toBe(base.toString());
    // A feed 30 slots old stops it like a stale Pyth price: the order ends rejected with the program's reason.
    await env.ln.control('/oracle', { marketIndex: 2, price: (3_210n * PRICE_PRECISION).toString(), ageSlots: 30 });
    const stale = await place(signedOrder(base, 3_300n * PRICE_PRECISION, 'market', { marketIndex: 2 }));
    const refused = (await h.temporal.workflow.getHandle(stale).result()) as { status: string; reason?: string };
    expect(refused).toMatchObject({ status: 'rejected', reason: 'OracleStale' });
  });
});
