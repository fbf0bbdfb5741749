import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Connection, SystemProgram } from '@solana/web3.js';
import { ProgramRejectedError, RpcPool, RpcUnavailableError } from '../../solana/rpc-pool';
import { PERP_PROGRAM_ID } from '../../solana/perp-program';
import { fetchTradeReport, type TradeReport } from '../../solana/accounts';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import { startLocalnet, type Localnet } from '../support/localnet';
import { fundedTrader, signedFillTransaction, type Trader } from '../support/perp-fixtures';

let ln: Localnet;
let setup: Connection;
let trader: Trader;

interface PortReport {
  config: Record<string, unknown>;
  requests: number;
  sends: number;
}
const faults = () => ln.control<Record<string, PortReport>>('/faults');
const setFault = (i: number, config: Record<string, unknown>) =>
  ln.control('/faults', { port: ln.rpcPorts[i], ...config });
const newPool = (timeoutMs = 500) =>
  new RpcPool(ln.rpcUrls, { now: () => Date.now(), requestTimeoutMs: timeoutMs, backoffMs: 20, openMs: 60_000 });
const positionBase = async () =>
  BigInt((await trader.program.account.user.fetch(trader.user)).positions[0]!.base.toString());

beforeAll(async () => {
  ln = await startLocalnet(3);
  setup = new Connection(ln.rpcUrls[2]!, 'confirmed');
  trader = await fundedTrader(ln, setup, 5_000n * QUOTE_PRECISION);
}, 120_000);

afterEach(async () => {
  for (let i = 0; i < 3; i++) await setFault(i, {});
  await ln.control('/pyth', { marketIndex: 0, price: (150n * PRICE_PRECISION).toString() });
});

afterAll(async () => {
  await ln?.stop();
});

describe('the RPC pool over three localnet providers', () => {
  it('executes exactly once when the primary dies in the middle of a send', async () => {
    const before = await positionBase();
    const sendsBefore = await faults();
    await setFault(0, { dropNextSend: true });
    const tx = await signedFillTransaction(ln, setup, trader, BASE_PRECISION, 160n * PRICE_PRECISION);
    const result = await newPool().sendTransaction(tx);

    expect(result.provider).toBe('already-landed');
    expect(await positionBase()).toBe(before + BASE_PRECISION);
    const after = await faults();
    const sends = (i: number) => after[ln.rpcPorts[i]!]!.sends - sendsBefore[ln.rpcPorts[i]!]!.sends;
    expect([sends(0), sends(1), sends(2)]).toEqual([1, 0, 0]); // found landed: never sent twice
    expect(after[ln.rpcPorts[0]!]!.config.down).toBe(true);
  });

  it('rebroadcasts to the next provider when the primary is down before the send', async () => {
    const before = await positionBase();
    await setFault(0, { down: true });
    const tx = await signedFillTransaction(ln, setup, trader, BASE_PRECISION, 160n * PRICE_PRECISION);
    const result = await newPool().sendTransaction(tx);
    expect(result.provider).toBe(ln.rpcUrls[1]);
    expect(await positionBase()).toBe(before + BASE_PRECISION);
  });

  it('fails with a clear retryable error and writes nothing when every provider is down', async () => {
    const before = await trader.program.account.user.fetch(trader.user);
    const tx = await signedFillTransaction(ln, setup, trader, BASE_PRECISION, 160n * PRICE_PRECISION);
    for (let i = 0; i < 3; i++) await setFault(i, { down: true });
    const error = await newPool(300)
      .sendTransaction(tx)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcUnavailableError);
    expect((error as RpcUnavailableError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/no RPC provider could send the transaction/);
    for (let i = 0; i < 3; i++) await setFault(i, {});
    const after = await trader.program.account.user.fetch(trader.user);
    expect(after.lastOrderNonce.toString()).toBe(before.lastOrderNonce.toString());
    expect(after.positions[0]!.base.toString()).toBe(before.positions[0]!.base.toString());
  });

  it('routes around a slow provider', async () => {
    await setFault(0, { latencyMs: 1_500 });
    const pool = newPool(400);
    const before = (await faults())[ln.rpcPorts[0]!]!.requests;
    for (let i = 0; i < 20; i++) expect(await pool.call('read the slot', (c) => c.getSlot())).toBeGreaterThanOrEqual(0);
    const slowRequests = (await faults())[ln.rpcPorts[0]!]!.requests - before;
    expect(slowRequests).toBeLessThanOrEqual(1);
    expect(pool.metrics()[0]!.failures).toBe(slowRequests);
  });

  it('ranks a provider reporting a stale slot last', async () => {
    await setFault(1, { staleSlots: 500 });
    await ln.control('/advance', { slots: 600, secs: 240 });
    await ln.control('/pyth', { marketIndex: 0, price: (150n * PRICE_PRECISION).toString() });
    const pool = newPool();
    await pool.refreshHealth();
    const metrics = pool.metrics();
    expect(metrics[1]!.slotLag).toBe(500);
    expect(pool.primary.rpcEndpoint).not.toBe(ln.rpcUrls[1]);
  });

  it('sends the calls of one turn as one batch request, each answered on its own', async () => {
    const pool = newPool();
    const read = (key: string) =>
      pool.request<{ value: { owner: string } | null }>('read an account', 'getAccountInfo', [
        key,
        { encoding: 'base64', commitment: 'confirmed' },
      ]);
    const before = await faults();
    // Alternately the trader's sub-account (the program's) and its wallet (the system program's).
    const keys = [...Array<null>(12)].map((_, i) => (i % 2 ? trader.user : trader.wallet.publicKey).toBase58());
    const answers = await Promise.all(keys.map(read));
    const after = await faults();
    const requests = ln.rpcPorts.reduce((n, p) => n + after[p]!.requests - before[p]!.requests, 0);
    expect(requests).toBe(1);
    expect(pool.metrics().reduce((n, m) => n + m.requests, 0)).toBe(12); // each call still counts for its provider
    expect(answers.map((a) => a.value?.owner)).toEqual(
      keys.map((_, i) => (i % 2 ? PERP_PROGRAM_ID.toBase58() : SystemProgram.programId.toBase58())),
    );

    // A call the node refuses fails alone; the others in its batch get their answers.
    const [good, bad] = await Promise.allSettled([read(trader.user.toBase58()), read('not-a-key')]);
    expect(good.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/invalid public key/);
  });

  it('confirms a transaction by reading its result when the caller reads it (executed)', async () => {
    const pool = newPool();
    const tx = await signedFillTransaction(ln, setup, trader, BASE_PRECISION, 160n * PRICE_PRECISION);
    const before = await faults();
    let read: TradeReport | undefined;
    const { signature } = await pool.sendTransaction(tx, undefined, {
      executed: async (sent) => ((read = await fetchTradeReport(pool, sent)), true),
    });
    const after = await faults();
    const requests = ln.rpcPorts.reduce((n, p) => n + after[p]!.requests - before[p]!.requests, 0);
    expect(requests).toBe(2); // the send, then the read: no status check between them
    expect(read?.baseDelta).toBe(BASE_PRECISION.toString());
    expect(await fetchTradeReport(pool, signature)).toEqual(read);

    // A refused transaction has no result to read: the status check finds the program's error as before.
    await ln.control('/pyth', { marketIndex: 0, price: (150n * PRICE_PRECISION).toString(), ageSlots: 30 });
    const stale = await signedFillTransaction(ln, setup, trader, BASE_PRECISION, 160n * PRICE_PRECISION);
    const error = await pool
      .sendTransaction(stale, undefined, {
        skipPreflight: true,
        executed: async (sent) => (await fetchTradeReport(pool, sent), true),
      })
      .catch((e: unknown) => e);
    expect((error as ProgramRejectedError).errorName).toBe('OracleStale');
  });

  it("rejects a risk-increasing order on a stale oracle, once, with the program's named error", async () => {
    await ln.control('/pyth', { marketIndex: 0, price: (150n * PRICE_PRECISION).toString(), ageSlots: 30 });
    const before = await faults();
    const tx = await signedFillTransaction(ln, setup, trader, BASE_PRECISION, 160n * PRICE_PRECISION);
    const error = await newPool()
      .sendTransaction(tx)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProgramRejectedError);
    expect((error as ProgramRejectedError).errorName).toBe('OracleStale');
    const after = await faults();
    const totalSends = ln.rpcPorts.reduce((n, p) => n + after[p]!.sends - before[p]!.sends, 0);
    expect(totalSends).toBe(1);
  });
});
