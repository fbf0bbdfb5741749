import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BN from 'bn.js';
import { TOKEN_PROGRAM_ID } from '@solana/spl-token';
import { type Connection, Keypair, PublicKey, type Transaction } from '@solana/web3.js';
import { and, eq } from 'drizzle-orm';
import { accountBalances, positions, reconciliationReports } from '../../drizzle/schema';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import { alertStreamKey } from '../../domain/workflow-events';
import { marketMetas, perpAddresses } from '../../solana/perp-program';
import { ensureReconciliationSchedule } from '../../temporal/schedules';
import { runReconciliation } from '../../temporal/operations';
import type { Harness } from '../support/harness';
import { signedBy, startChainHarness, type Trader } from '../support/perp-fixtures';
import { placeAndWait, signedOrderBody } from '../support/orders';
import { asWallet } from '../support/auth';
import { recordHistory } from '../support/histories';
import type { Localnet } from '../support/localnet';

let env: Awaited<ReturnType<typeof startChainHarness>>;
let h: Harness;
let ln: Localnet;
let trader: Trader;
let connection: Connection;
const auditor = Keypair.generate();

beforeAll(async () => {
  // A private localnet and database: every sub-account and every row is this file's, so the books can match exactly.
  env = await startChainHarness(0n, { env: { QD_AUDITOR_WALLETS: auditor.publicKey.toBase58() } });
  ({ h, ln, trader, connection } = env);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const signed = (build: Promise<Transaction>) => signedBy(connection, trader.wallet, build);

const transferAccounts = () => ({
  authority: trader.wallet.publicKey,
  global: perpAddresses.global(),
  user: trader.user,
  userToken: trader.usdc,
  vault: perpAddresses.vault(),
  tokenProgram: TOKEN_PROGRAM_ID,
});

async function throughApi(path: string, body: unknown): Promise<unknown> {
  const res = await asWallet(h.apiUrl, trader.wallet, path, { body });
  expect(res.status).toBe(202);
  const { workflowId } = (await res.json()) as { workflowId: string };
  return h.temporal.workflow.getHandle(workflowId).result();
}

// Each run is asked for at its own minute (a run asked again within a minute is the same run).
let minute = Date.parse('2030-01-01T00:00:00Z');
const reconcile = () => runReconciliation(h.temporal, h.config.temporal.taskQueue, new Date((minute += 60_000)));

describe('reconciliation of the books with the chain, on the real stack', () => {
  it('finds no difference after deposits, a fill and a withdrawal that all went through workflows', async () => {
    await throughApi('/v1/deposits', {
      signedTransaction: await signed(
        trader.program.methods
          .deposit(new BN((500n * QUOTE_PRECISION).toString()))
          .accountsStrict(transferAccounts())
          .transaction(),
      ),
    });
    await placeAndWait(
      h,
      trader,
      signedOrderBody(trader, BASE_PRECISION, 1_000n * PRICE_PRECISION, 'market', `rec-open-${h.id}`),
    );
    const market = ln.bootstrap.markets[0]!;
    const withdraw = trader.program.methods
      .withdraw(new BN((50n * QUOTE_PRECISION).toString()))
      .accountsStrict(transferAccounts())
      .remainingAccounts(marketMetas([{ market: new PublicKey(market.market), oracle: new PublicKey(market.oracle) }]))
      .transaction();
    await throughApi('/v1/withdrawals', { signedTransaction: await signed(withdraw), requestId: `rec-w-${h.id}` });

    const report = await reconcile();
    expect(report.differences).toEqual([]);
    expect(report.differenceCount).toBe(0);
    expect(report.accountsChecked).toBe(1);
    // The totals agree to the base unit: the vault holds what was deposited less what was withdrawn, the insurance fund the fill's fee.
    expect(report.totals.chain.vault).toBe((450n * QUOTE_PRECISION).toString());
    expect(BigInt(report.totals.books.deposited) - BigInt(report.totals.books.withdrawn)).toBe(450n * QUOTE_PRECISION);
    expect(BigInt(report.totals.chain.insuranceFund)).toBeGreaterThan(0n);
    expect(report.totals.books.insuranceFund).toBe(report.totals.chain.insuranceFund);
    const [row] = await h.db.select().from(reconciliationReports).where(eq(reconciliationReports.id, report.reportId));
    expect(row).toMatchObject({ differences: 0, accountsChecked: 1 });
  });

  it('reports a corrupted balance row and a lost position row, stores the report and raises one alert', async () => {
    const account = trader.user.toBase58();
    const [balance] = await h.db.select().from(accountBalances).where(eq(accountBalances.account, account));
    const [position] = await h.db
      .select()
      .from(positions)
      .where(and(eq(positions.account, account), eq(positions.marketIndex, 0)));
    expect(position?.baseAmount).toBe(BASE_PRECISION);
    await h.db
      .update(accountBalances)
      .set({ collateral: balance!.collateral + 1n })
      .where(eq(accountBalances.account, account));
    await h.db.delete(positions).where(eq(positions.account, account));

    const report = await reconcile();
    expect(report.differences).toEqual(
      expect.arrayContaining([
        {
          account,
          field: 'collateral',
          chain: balance!.collateral.toString(),
          books: (balance!.collateral + 1n).toString(),
        },
        { account, field: 'position:0.base', chain: BASE_PRECISION.toString(), books: '0' },
        { account, field: 'position:0.quote_entry', chain: position!.quoteEntry.toString(), books: '0' },
      ]),
    );
    // The books' collateral total moved with the row, so the PnL pool they imply differs by the same unit.
    expect(report.differences).toContainEqual(expect.objectContaining({ account: 'protocol', field: 'pnl_pool' }));
    expect(report.differenceCount).toBe(4);
    const [row] = await h.db.select().from(reconciliationReports).where(eq(reconciliationReports.id, report.reportId));
    expect(row?.differences).toBe(4);
    await recordHistory(h.temporal, report.reportId, 'reconciliation');

    const alerts = await h.redis.xrange(alertStreamKey(h.config.streamPrefix), '-', '+');
    expect(alerts).toHaveLength(1);
    const alert = JSON.parse(alerts[0]![1][1]!) as { kind: string; reportId: string; differences: number };
    expect(alert).toMatchObject({ kind: 'reconciliation-difference', reportId: report.reportId, differences: 4 });

    // Auditors read the reports over HTTP (newest first, and each in full or as markdown); a trader may not.
    const list = (await (await asWallet(h.apiUrl, auditor, '/v1/audit/reconciliations?limit=5')).json()) as {
      reports: { reportId: string; differences: number }[];
    };
    expect(list.reports[0]).toMatchObject({ reportId: report.reportId, differences: 4 });
    expect(list.reports).toHaveLength(2);
    const md = await (
      await asWallet(h.apiUrl, auditor, `/v1/audit/reconciliations/${encodeURIComponent(report.reportId)}?format=md`)
    ).text();
    expect(md).toContain(`| \`${account}\` | collateral | ${balance!.collateral} | ${balance!.collateral + 1n} |`);
    expect((await asWallet(h.apiUrl, trader.wallet, '/v1/audit/reconciliations')).status).toBe(403);
    expect((await asWallet(h.apiUrl, auditor, '/v1/audit/reconciliations/nope')).status).toBe(404);
    expect((await asWallet(h.apiUrl, auditor, '/v1/audit/reconciliations?limit=0')).status).toBe(400);

    // Asked again within its minute, the run is the same one and raises nothing new.
    const again = await runReconciliation(h.temporal, h.config.temporal.taskQueue, new Date(minute));
    expect(again.reportId).toBe(report.reportId);
    expect(await h.redis.xlen(alertStreamKey(h.config.streamPrefix))).toBe(1);
  });

  it('is scheduled hourly, once', async () => {
    const scheduleId = `reconciliation-schedule-${h.id}`;
    try {
      expect(await ensureReconciliationSchedule(h.temporal, h.config.temporal.taskQueue, scheduleId)).toBe(true);
      expect(await ensureReconciliationSchedule(h.temporal, h.config.temporal.taskQueue, scheduleId)).toBe(false);
      const description = await h.temporal.schedule.getHandle(scheduleId).describe();
      expect(description.spec.intervals?.[0]?.every).toBe(3_600_000);
      expect(description.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: 'reconciliationWorkflow',
        taskQueue: h.config.temporal.taskQueue,
      });
    } finally {
      await h.temporal.schedule
        .getHandle(scheduleId)
        .delete()
        .catch(() => undefined);
    }
  });
});
