// Per-trader alerts (issue 14) on the real stack: a trader with a leveraged long on a private localnet
// subscribes through the API (Row Level Security: another wallet neither sees nor touches the rows); MIKEY's
// alert desk reads the account from the chain, fires once when the oracle comes within the threshold of the
// exact liquidation price, re-arms when it is clear, and tells cascade subscribers holding the market; each
// alert reaches the account's socket room, its event stream and GET /v1/alerts once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keypair } from '@solana/web3.js';
import { eq } from 'drizzle-orm';
import { io as connect, type Socket } from 'socket.io-client';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import { traderAlertStreamKey, type TraderAlert } from '../../domain/alerts';
import { accountStreamKey } from '../../domain/workflow-events';
import { alertSubscriptions, traderAlerts } from '../../drizzle/schema';
import { writeAsWallet } from '../../platform/postgres';
import { loadMarginAccount } from '../../solana/margin-account';
import { liquidationPrice } from '../../domain/perp';
import { RpcPool } from '../../solana/rpc-pool';
import { AlertDesk } from '../../services/mikey/trader-alerts';
import { asWallet, tokenOf } from '../support/auth';
import { waitFor } from '../support/harness';
import { signedFillTransaction, startChainHarness } from '../support/perp-fixtures';

let chain: Awaited<ReturnType<typeof startChainHarness>>;
let desk: AlertDesk;
let socket: Socket;
const other = Keypair.generate();
const received: { id: string; alert: TraderAlert }[] = [];
const price = 150n * PRICE_PRECISION;

beforeAll(async () => {
  chain = await startChainHarness(200n * QUOTE_PRECISION, { worker: false });
  const { ln, connection, trader } = chain;
  await ln.control('/pyth', { marketIndex: 0, price: price.toString() });
  // 10 SOL long on 200 USDC (7.5x).
  const tx = await signedFillTransaction(ln, connection, trader, 10n * BASE_PRECISION, 160n * PRICE_PRECISION);
  await connection.sendRawTransaction(tx.serialize()).then((sig) => connection.confirmTransaction(sig, 'confirmed'));
  desk = new AlertDesk(
    chain.h.db,
    chain.h.redis,
    new RpcPool(ln.rpcUrls, { now: () => Date.now() }),
    chain.h.config.streamPrefix,
  );
  socket = await openSocket(received, {});
}, 180_000);

/** The trader's socket on its account's room, collecting `trader-alert` messages (`recent`: replay the latest). */
async function openSocket(into: typeof received, replay: { recent?: number }): Promise<Socket> {
  const s = connect(chain.h.apiUrl, {
    auth: { token: await tokenOf(chain.h.apiUrl, chain.trader.wallet) },
    transports: ['websocket'],
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', reject);
  });
  s.on('trader-alert', (a: { id: string; alert: TraderAlert }) => into.push(a));
  const ack = (await s.emitWithAck('subscribe', { account: chain.trader.user.toBase58(), ...replay })) as {
    ok: boolean;
  };
  expect(ack.ok).toBe(true);
  return s;
}

afterAll(async () => {
  socket?.disconnect();
  await chain?.stop();
});

const subscribe = (wallet: Keypair, body: Record<string, unknown>) =>
  asWallet(chain.h.apiUrl, wallet, '/v1/alerts/subscriptions', { body });

describe('alert subscriptions through the API', () => {
  it("are the wallet's own: created once, invisible and untouchable to another wallet, refused when malformed", async () => {
    const { trader } = chain;
    const account = trader.user.toBase58();
    const body = { account, kind: 'liquidation-distance', market: 'SOL-PERP', thresholdBps: 500 };
    const created = await subscribe(trader.wallet, body);
    expect(created.status).toBe(201);
    const sub = (await created.json()) as { id: string; market: string; firing: unknown[] };
    expect(sub).toMatchObject({ id: `${account}:liquidation-distance:0:500`, market: 'SOL-PERP', firing: [] });
    // The same request again finds the same subscription.
    const again = await subscribe(trader.wallet, body);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(sub.id);
    expect((await subscribe(trader.wallet, { account, kind: 'liquidation-cascade' })).status).toBe(201);

    // Another wallet: 403 for the trader's account, sees none of its rows, cannot delete them.
    expect((await subscribe(other, body)).status).toBe(403);
    const seen = (await (await asWallet(chain.h.apiUrl, other, '/v1/alerts/subscriptions')).json()) as {
      subscriptions: unknown[];
    };
    expect(seen.subscriptions).toEqual([]);
    const path = `/v1/alerts/subscriptions/${encodeURIComponent(sub.id)}`;
    expect((await asWallet(chain.h.apiUrl, other, path, { method: 'DELETE' })).status).toBe(404);
    // Under RLS even a direct write that names the trader's wallet is refused for the other wallet.
    const forged = await writeAsWallet(chain.h.pool, other.publicKey.toBase58(), (db) =>
      db.insert(alertSubscriptions).values({
        id: 'forged',
        wallet: trader.wallet.publicKey.toBase58(),
        account,
        kind: 'liquidation-cascade',
        createdAt: new Date(),
      }),
    ).catch((err: unknown) => err as Error);
    expect(String((forged as Error).cause)).toMatch(/row-level security/);

    // Malformed: a clear 400, nothing written.
    for (const bad of [
      { ...body, thresholdBps: 0 },
      { ...body, thresholdBps: 12.5 },
      { ...body, market: 'DOGE-PERP' },
      { account, kind: 'funding-apr', market: 'SOL-PERP' },
      { account, kind: 'liquidation-cascade', thresholdBps: 10 },
      { ...body, kind: 'price-above' },
    ]) {
      const res = await subscribe(trader.wallet, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    const mine = (await (await asWallet(chain.h.apiUrl, trader.wallet, '/v1/alerts/subscriptions')).json()) as {
      subscriptions: { id: string }[];
    };
    expect(mine.subscriptions.map((s) => s.id).sort()).toEqual([`${account}:liquidation-cascade:all:-`, sub.id]);
  });
});

describe("MIKEY's alert desk", () => {
  it('fires once when the oracle nears the liquidation price, re-arms once clear, and delivers each alert once', async () => {
    const { ln, trader, h } = chain;
    const account = trader.user.toBase58();
    const pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
    const liq = liquidationPrice(await loadMarginAccount(pool, account), 0)!;
    expect(liq).toBeGreaterThan(0n);
    const setPrice = (p: bigint) => ln.control('/pyth', { marketIndex: 0, price: p.toString() });

    // At 150 the long is far from its liquidation price: nothing fires.
    expect(await desk.check(new Date())).toEqual([]);
    // 3 % above the liquidation price: within 5 %, one alert; a second check says nothing new.
    await setPrice((liq * 103n) / 100n);
    const [first, ...rest] = await desk.check(new Date());
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ account, kind: 'liquidation-distance', market: 'SOL-PERP' });
    expect(first!.inputs).toMatchObject({ liquidationPrice: liq.toString() });
    expect(await desk.check(new Date())).toEqual([]);
    // Back at 150 it is clear (re-armed); down again it fires again.
    await setPrice(price);
    expect(await desk.check(new Date())).toEqual([]);
    const [row] = await h.db
      .select()
      .from(alertSubscriptions)
      .where(eq(alertSubscriptions.kind, 'liquidation-distance'));
    expect(row!.firing).toEqual([]);
    await setPrice((liq * 102n) / 100n);
    const [second] = await desk.check(new Date(Date.now() + 1_000));
    expect(second?.id).not.toBe(first!.id);

    // A cascade in a market the account holds reaches its cascade subscription; one elsewhere does not.
    const cascade = (market: string) => ({
      id: `${market}:liquidation-cascade:2026-11-27T12:00:00.000Z`,
      market,
      kind: 'liquidation-cascade' as const,
      at: '2026-11-27T12:00:00.000Z',
      summary: `5 liquidations in ${market} within 60 s: a cascade`,
      value: 5,
      formula: 'count of liquidation steps in the window',
      window: '60 s',
      threshold: '>= 5',
      inputs: { liquidations: 5 },
    });
    expect(await desk.onInsights([cascade('BTC-PERP')])).toEqual([]);
    const [told] = await desk.onInsights([cascade('SOL-PERP')]);
    expect(told).toMatchObject({ account, kind: 'liquidation-cascade', market: 'SOL-PERP' });

    // Each alert: one row, one entry in the account's stream, one socket message, and GET /v1/alerts.
    const ids = [first!.id, second!.id, told!.id].sort();
    expect((await h.db.select().from(traderAlerts)).map((r) => r.id).sort()).toEqual(ids);
    const stream = await h.redis.xrange(accountStreamKey(h.config.streamPrefix, account), '-', '+');
    const inStream = stream.flatMap(([, f]) => (f[0] === 'alert' ? [(JSON.parse(f[1]!) as TraderAlert).id] : []));
    expect(inStream.sort()).toEqual(ids);
    await waitFor('the socket messages', async () => (received.length >= 3 ? true : undefined));
    expect(received.map((r) => r.alert.id).sort()).toEqual(ids);
    // A terminal opened later gets them from the account's stream, with the same stream IDs.
    const replayed: typeof received = [];
    (await openSocket(replayed, { recent: 50 })).disconnect();
    expect(replayed.map((r) => r.id).sort()).toEqual(received.map((r) => r.id).sort());
    const listed = (await (await asWallet(h.apiUrl, trader.wallet, '/v1/alerts')).json()) as {
      alerts: { id: string; workings: { threshold: string } }[];
    };
    expect(listed.alerts.map((a) => a.id).sort()).toEqual(ids);
    expect(listed.alerts.find((a) => a.id === first!.id)!.workings.threshold).toMatch(/^<= 5\.00 %/);
    const foreign = (await (await asWallet(h.apiUrl, other, '/v1/alerts')).json()) as { alerts: unknown[] };
    expect(foreign.alerts).toEqual([]);
  });

  it('publishes an alert written before a crash exactly once', async () => {
    const { trader, h } = chain;
    const account = trader.user.toBase58();
    // A row committed with its subscription's state, its publish lost to a crash.
    await h.db.insert(traderAlerts).values({
      id: `${account}:liquidation-cascade:all:-:crashed`,
      subscriptionId: `${account}:liquidation-cascade:all:-`,
      wallet: trader.wallet.publicKey.toBase58(),
      account,
      kind: 'liquidation-cascade',
      market: 'SOL-PERP',
      at: new Date(),
      summary: 'written before the crash',
      workings: { formula: 'f', window: 'w', threshold: 't', inputs: {} },
    });
    expect(await desk.publishPending()).toBe(1);
    expect(await desk.publishPending()).toBe(0);
    // Even published twice (the mark lost too), the streams take it once.
    await h.db.update(traderAlerts).set({ published: false }).where(eq(traderAlerts.account, account));
    await desk.publishPending();
    const all = await h.redis.xrange(traderAlertStreamKey(h.config.streamPrefix), '-', '+');
    const crashed = all.filter(([, f]) => (JSON.parse(f[1]!) as TraderAlert).summary === 'written before the crash');
    expect(crashed).toHaveLength(1);
  });
});
