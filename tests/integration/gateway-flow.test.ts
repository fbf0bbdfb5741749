// The terminal's REST flow against the real stack: sign in, faucet, build → sign → submit a deposit that
// opens a sub-account, trade, see risk and histories (Row Level Security), build → sign → submit a
// withdrawal, and the public market data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keypair, PublicKey, Transaction } from '@solana/web3.js';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import { oraclePrices } from '../../drizzle/schema';
import { startChainHarness } from '../support/perp-fixtures';
import { asWallet } from '../support/auth';
import { signedOrderBody } from '../support/orders';
import type { Harness } from '../support/harness';

let env: Awaited<ReturnType<typeof startChainHarness>>;
let h: Harness;
const wallet = Keypair.generate();
const auditor = Keypair.generate();
const operator = Keypair.generate();
/** Has the admin role but is not the program's admin: the program refuses its signature. */
const roleOnlyAdmin = Keypair.generate();
/** The program's admin (the localnet's bootstrap key), signed in with the admin role. */
let admin: Keypair;

beforeAll(async () => {
  env = await startChainHarness(0n, {
    env: {
      QD_AUDITOR_WALLETS: auditor.publicKey.toBase58(),
      QD_OPERATOR_WALLETS: operator.publicKey.toBase58(),
    },
    beforeHarness: (ln) => {
      admin = Keypair.fromSecretKey(Uint8Array.from(ln.bootstrap.adminKeypair));
      return { QD_ADMIN_WALLETS: [admin, roleOnlyAdmin].map((k) => k.publicKey.toBase58()).join(',') };
    },
  });
  h = env.h;
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const api = (path: string, body?: unknown) => asWallet(h.apiUrl, wallet, path, body === undefined ? {} : { body });
const json = async <T>(res: Response | Promise<Response>) => (await (await res).json()) as T;
const signAndSubmit = async (built: { transaction: string }, path: string, extra: Record<string, string> = {}) => {
  const tx = Transaction.from(Buffer.from(built.transaction, 'base64'));
  tx.partialSign(wallet);
  const res = await api(path, { signedTransaction: tx.serialize().toString('base64'), ...extra });
  if (res.status !== 202) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  const { workflowId } = await json<{ workflowId: string }>(res);
  return h.temporal.workflow.getHandle(workflowId).result();
};

describe('the gateway, as the terminal uses it', () => {
  it('funds, deposits into a new sub-account, trades, shows risk and history, withdraws', async () => {
    expect((await api('/v1/dev/faucet', {})).status).toBe(200);
    const built = await json<{ transaction: string; account: string; opensSubAccount: boolean }>(
      api('/v1/deposits/build', { subAccountId: 0, amount: (500n * QUOTE_PRECISION).toString() }),
    );
    expect(built.opensSubAccount).toBe(true);
    await signAndSubmit(built, '/v1/deposits');

    const trader = { wallet, user: new PublicKey(built.account), nextNonce: 1n } as Parameters<
      typeof signedOrderBody
    >[0];
    const order = await api(
      '/v1/orders',
      signedOrderBody(trader, 10n * BASE_PRECISION, 200n * PRICE_PRECISION, 'market', `gw-${h.id}`),
    );
    expect(order.status).toBe(202);
    await h.temporal.workflow.getHandle((await json<{ workflowId: string }>(order)).workflowId).result();

    const accounts = await json<{
      subAccounts: {
        address: string;
        collateral: string;
        equity: string;
        leverageBps: string;
        marginRatioBps: string;
        positions: { base: string; liquidationPrice: string }[];
      }[];
      nextSubAccountId: number;
    }>(api('/v1/accounts'));
    expect(accounts.nextSubAccountId).toBe(1);
    const [sub] = accounts.subAccounts;
    expect(sub!.address).toBe(built.account);
    expect(sub!.positions[0]!.base).toBe((10n * BASE_PRECISION).toString()); // 3x on 500 USDC
    expect(BigInt(sub!.positions[0]!.liquidationPrice)).toBeLessThan(150n * PRICE_PRECISION);
    expect(BigInt(sub!.collateral)).toBeLessThan(500n * QUOTE_PRECISION); // the fee
    expect(Number(sub!.leverageBps)).toBeGreaterThan(0);

    const fills = await json<{ fills: { price: string; baseAmount: string }[] }>(
      api(`/v1/accounts/${built.account}/fills`),
    );
    expect(fills.fills).toHaveLength(1);
    expect(fills.fills[0]!.baseAmount).toBe((10n * BASE_PRECISION).toString());
    // Another wallet asking for the same account sees nothing (RLS), not an error.
    const stranger = await asWallet(h.apiUrl, Keypair.generate(), `/v1/accounts/${built.account}/fills`);
    expect(((await stranger.json()) as { fills: unknown[] }).fills).toEqual([]);

    const withdraw = await json<{ transaction: string }>(
      api('/v1/withdrawals/build', { subAccountId: 0, amount: (100n * QUOTE_PRECISION).toString() }),
    );
    await signAndSubmit(withdraw, '/v1/withdrawals', { requestId: `gw-${h.id}` });
    const deposits = await json<{ deposits: unknown[] }>(api(`/v1/accounts/${built.account}/deposits`));
    const withdrawals = await json<{ withdrawals: { status: string }[] }>(
      api(`/v1/accounts/${built.account}/withdrawals`),
    );
    expect(deposits.deposits).toHaveLength(1);
    expect(withdrawals.withdrawals[0]!.status).toBe('settled');
    expect((await api('/v1/withdrawals/build', { subAccountId: 5, amount: '1' })).status).toBe(404);

    // An auditor replays the account's workflows against the current code; a trader may not.
    const range = `account=${built.account}&from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    expect((await api(`/v1/audit/report?${range}`)).status).toBe(403);
    const report = await json<{
      workflows: {
        workflowType: string;
        deterministic: boolean;
        chainSignatures: string[];
        rowsWritten: { activity: string }[];
      }[];
    }>(asWallet(h.apiUrl, auditor, `/v1/audit/report?${range}`));
    expect(report.workflows.map((w) => w.workflowType).sort()).toEqual([
      'depositWorkflow',
      'placeOrderWorkflow',
      'withdrawWorkflow',
    ]);
    expect(report.workflows.every((w) => w.deterministic && w.chainSignatures.length > 0)).toBe(true);
    expect(report.workflows.flatMap((w) => w.rowsWritten.map((r) => r.activity))).toEqual(
      expect.arrayContaining(['recordDeposit', 'acceptOrder', 'settleOrderFill', 'settleWithdrawal']),
    );
  });

  it('lets operators see account health and only admins pause a market on chain', async () => {
    const { subAccounts } = await json<{ subAccounts: { address: string }[] }>(api('/v1/accounts'));
    const health = await json<{ liquidatable: boolean; equity: string }>(
      asWallet(h.apiUrl, operator, `/v1/admin/accounts/${subAccounts[0]!.address}/health`),
    );
    expect(health.liquidatable).toBe(false);
    expect(BigInt(health.equity)).toBeGreaterThan(0n);
    expect((await asWallet(h.apiUrl, wallet, `/v1/admin/accounts/${subAccounts[0]!.address}/health`)).status).toBe(403);

    // The admin signs the pause with their own wallet: the API builds it and relays it, and holds no admin key.
    const pause = async (who: Keypair, paused: boolean) => {
      const built = await asWallet(h.apiUrl, who, '/v1/admin/markets/ETH-PERP/pause/build', { body: { paused } });
      if (built.status !== 200) return built;
      const tx = Transaction.from(Buffer.from(((await built.json()) as { transaction: string }).transaction, 'base64'));
      tx.sign(who);
      return asWallet(h.apiUrl, who, '/v1/admin/markets/ETH-PERP/pause', {
        body: { signedTransaction: tx.serialize().toString('base64') },
      });
    };
    expect((await pause(operator, true)).status).toBe(403); // operators do not change markets
    await env.ln.control('/airdrop', { to: roleOnlyAdmin.publicKey.toBase58(), lamports: 1_000_000_000 });
    const refused = await pause(roleOnlyAdmin, true); // the role is not the key: the program refuses it
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('Unauthorized');
    expect((await pause(admin, true)).status).toBe(200);
    const paused = await json<{ markets: { symbol: string; paused: boolean }[] }>(fetch(`${h.apiUrl}/v1/markets`));
    expect(paused.markets.find((m) => m.symbol === 'ETH-PERP')!.paused).toBe(true);
    expect((await pause(admin, false)).status).toBe(200);
    const resumed = await json<{ markets: { symbol: string; paused: boolean }[] }>(fetch(`${h.apiUrl}/v1/markets`));
    expect(resumed.markets.find((m) => m.symbol === 'ETH-PERP')!.paused).toBe(false);
  });

  it('serves the markets board, prices and candles from recorded oracle prices', async () => {
    const t0 = Date.UTC(2026, 10, 25, 12, 0, 0);
    await h.db.insert(oraclePrices).values(
      [150, 153, 149, 151, 152].map((p, i) => ({
        marketIndex: 0,
        publishedAt: new Date(t0 + i * 20_000),
        price: BigInt(p) * PRICE_PRECISION,
        confidence: 1n,
        slot: BigInt(i),
      })),
    );
    const raw = await fetch(
      `${h.apiUrl}/v1/markets/SOL-PERP/candles?interval=1m&from=${new Date(t0).toISOString()}&to=${new Date(t0 + 120_000).toISOString()}`,
    );
    expect(raw.status, await raw.clone().text()).toBe(200);
    const candles = await json<{
      candles: { start: string; open: string; high: string; low: string; close: string; ticks: number }[];
    }>(
      fetch(
        `${h.apiUrl}/v1/markets/SOL-PERP/candles?interval=1m&from=${new Date(t0).toISOString()}&to=${new Date(t0 + 120_000).toISOString()}`,
      ),
    );
    expect(candles.candles).toEqual([
      {
        start: new Date(t0).toISOString(),
        open: '150000000',
        high: '153000000',
        low: '149000000',
        close: '149000000',
        ticks: 3,
      },
      {
        start: new Date(t0 + 60_000).toISOString(),
        open: '151000000',
        high: '152000000',
        low: '151000000',
        close: '152000000',
        ticks: 2,
      },
    ]);
    await h.redis.xadd(
      `${h.config.streamPrefix}:prices:SOL-PERP`,
      '*',
      'price',
      '151500000',
      'confidence',
      '1',
      'slot',
      '1',
      'at',
      new Date().toISOString(),
    );
    const board = await json<{
      markets: { symbol: string; price: string | null; longOpenInterest: string | null; paused: boolean | null }[];
    }>(fetch(`${h.apiUrl}/v1/markets`));
    const sol = board.markets.find((m) => m.symbol === 'SOL-PERP')!;
    expect(sol).toMatchObject({ price: '151500000', paused: false });
    expect(BigInt(sol.longOpenInterest!)).toBeGreaterThanOrEqual(10n * BASE_PRECISION);
  });
});
