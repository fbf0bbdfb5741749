import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BN from 'bn.js';
import { TOKEN_PROGRAM_ID, getAccount } from '@solana/spl-token';
import { PublicKey, type Transaction } from '@solana/web3.js';
import { eq } from 'drizzle-orm';
import { deposits, fills, fundingPayments, liquidations, withdrawals } from '../../drizzle/schema';
import { marketMetas, perpAddresses } from '../../solana/perp-program';
import { scanMarketForLiquidations } from '../../services/risk-monitor/risk-monitor';
import { RpcPool } from '../../solana/rpc-pool';
import { accountStreamKey, type WorkflowEvent } from '../../domain/workflow-events';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import type { Harness } from '../support/harness';
import { signedBy, startChainHarness, type Trader } from '../support/perp-fixtures';
import { placeAndWait, signedOrderBody } from '../support/orders';
import { asWallet } from '../support/auth';
import { onlyLiquidation } from '../support/liquidations';
import { runReconciliation } from '../../temporal/operations';

let env: Awaited<ReturnType<typeof startChainHarness>>;
let h: Harness;
let trader: Trader;

beforeAll(async () => {
  env = await startChainHarness(0n);
  ({ h, trader } = env);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const signed = (build: Promise<Transaction>) => signedBy(env.connection, trader.wallet, build);
const post = async (path: string, body: unknown) => {
  const res = await asWallet(h.apiUrl, trader.wallet, path, { body });
  return ((await res.json()) as { workflowId: string }).workflowId;
};
const result = <T>(workflowId: string) => h.temporal.workflow.getHandle(workflowId).result() as Promise<T>;
const accounts = () => ({
  authority: trader.wallet.publicKey,
  global: perpAddresses.global(),
  user: trader.user,
  userToken: trader.usdc,
  vault: perpAddresses.vault(),
  tokenProgram: TOKEN_PROGRAM_ID,
});

/** vault = every user's collateral + insurance fund + PnL pool, to the base unit (one trader here). */
async function assertConserved() {
  const global = await trader.program.account.globalState.fetch(perpAddresses.global());
  const user = await trader.program.account.user.fetch(trader.user);
  const vault = (await getAccount(env.connection, perpAddresses.vault())).amount;
  expect(vault).toBe(
    BigInt(user.collateral.toString()) + BigInt(global.insuranceFund.toString()) + BigInt(global.pnlPool.toString()),
  );
}

describe('deposit → market order → price move → funding → liquidation → withdraw, on the real stack', () => {
  it('keeps chain, Postgres and events in agreement and conserves money to the base unit', async () => {
    const walletUsdcStart = (await getAccount(env.connection, trader.usdc)).amount;

    const deposit = await post('/v1/deposits', {
      signedTransaction: await signed(
        trader.program.methods
          .deposit(new BN((1_000n * QUOTE_PRECISION).toString()))
          .accountsStrict(accounts())
          .transaction(),
      ),
    });
    await result(deposit);
    await assertConserved();

    const { result: filled } = await placeAndWait(
      h,
      trader,
      signedOrderBody(trader, 60n * BASE_PRECISION, 160n * PRICE_PRECISION, 'market', `e2e-open-${h.id}`),
    );
    expect((filled as { status: string }).status).toBe('filled');
    await assertConserved();

    await env.ln.control('/advance', { slots: 10, secs: 3_601 });
    await env.ln.control('/pyth', { marketIndex: 0, price: (150n * PRICE_PRECISION).toString() });
    const epoch = String(Math.floor(Date.now() / 3_600_000));
    const funding = await h.temporal.workflow.start('fundingSettlementWorkflow', {
      workflowId: `funding:0:${epoch}-${h.id}`,
      taskQueue: h.config.temporal.taskQueue,
      args: [{ marketIndex: 0, epoch }],
    });
    expect(((await funding.result()) as { payments: number }).payments).toBe(1);

    await env.ln.control('/advance', { slots: 2, secs: 1 });
    await env.ln.control('/pyth', { marketIndex: 0, price: (135n * PRICE_PRECISION).toString() });
    const monitor = {
      pool: new RpcPool(env.ln.rpcUrls, { now: () => Date.now() }),
      db: h.db,
      temporal: h.temporal,
      taskQueue: h.config.temporal.taskQueue,
    };
    expect((await onlyLiquidation(h.temporal, await scanMarketForLiquidations(monitor, 0))).status).toBe('liquidated');
    await assertConserved();

    await placeAndWait(
      h,
      trader,
      signedOrderBody(trader, -100n * BASE_PRECISION, 0n, 'market', `e2e-close-${h.id}`, { reduceOnly: true }),
    );
    const user = await trader.program.account.user.fetch(trader.user);
    expect(user.positions.every((p) => p.base.isZero())).toBe(true);
    const collateral = BigInt(user.collateral.toString());
    expect(collateral).toBeGreaterThan(0n);
    const market = solPerp();
    const withdraw = await post('/v1/withdrawals', {
      signedTransaction: await signed(
        trader.program.methods
          .withdraw(new BN(collateral.toString()))
          .accountsStrict(accounts())
          .remainingAccounts(marketMetas([market]))
          .transaction(),
      ),
      requestId: `e2e-out-${h.id}`,
    });
    await result(withdraw);
    await assertConserved();

    // Chain: the wallet got back exactly what the account held.
    const walletUsdcEnd = (await getAccount(env.connection, trader.usdc)).amount;
    expect(walletUsdcEnd).toBe(walletUsdcStart - 1_000n * QUOTE_PRECISION + collateral);
    expect((await trader.program.account.user.fetch(trader.user)).collateral.toString()).toBe('0');

    // Postgres agrees with the chain.
    const account = trader.user.toBase58();
    expect((await h.db.select().from(deposits).where(eq(deposits.account, account))).map((d) => d.amount)).toEqual([
      1_000n * QUOTE_PRECISION,
    ]);
    expect(await h.db.select().from(fills).where(eq(fills.account, account))).toHaveLength(2);
    expect(await h.db.select().from(fundingPayments).where(eq(fundingPayments.account, account))).toHaveLength(1);
    expect(await h.db.select().from(liquidations).where(eq(liquidations.account, account))).toHaveLength(1);
    expect(
      (await h.db.select().from(withdrawals).where(eq(withdrawals.account, account))).map((w) => [w.status, w.amount]),
    ).toEqual([['settled', collateral]]);

    // Events: every workflow reported its steps on the account's stream, in order.
    const entries = await h.redis.xrange(accountStreamKey(h.config.streamPrefix, account), '-', '+');
    const events = entries.map(([, f]) => JSON.parse(f[1]!) as WorkflowEvent);
    const kinds = [...new Set(events.map((e) => e.kind))];
    expect(kinds).toEqual(['deposit', 'order', 'liquidation', 'withdraw']);
    expect(events.filter((e) => e.workflowId === withdraw).map((e) => e.step)).toEqual([
      'validated',
      'risk-checked',
      'reserved',
      'submitted',
      'confirmed',
      'settled',
    ]);
    expect(events.every((e) => e.status === 'completed')).toBe(true);

    // The reconciliation agrees: every balance, position and total in the books is the chain's, to the base unit.
    const reconciled = await runReconciliation(h.temporal, h.config.temporal.taskQueue, new Date());
    expect(reconciled.differences).toEqual([]);
    expect(BigInt(reconciled.totals.chain.insuranceFund)).toBeGreaterThan(0n); // two taker fees and a liquidation fee
  });
});

function solPerp() {
  const m = env.ln.bootstrap.markets[0]!;
  return { market: new PublicKey(m.market), oracle: new PublicKey(m.oracle) };
}
