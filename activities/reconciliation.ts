import type { Redis } from 'ioredis';
import { eq, inArray, sql } from 'drizzle-orm';
import { accountBalances, positions, reconciliationReports } from '../drizzle/schema';
import type { Database } from '../platform/postgres';
import {
  compareAccounts,
  totalsDifferences,
  type AccountState,
  type BookPosition,
  type Difference,
} from '../domain/reconciliation';
import { alertStreamKey } from '../domain/workflow-events';
import { scanUsers, fetchPools } from '../solana/accounts';
import { EMPTY_MARKET_INDEX, type DecodedUser } from '../solana/perp-coders';
import { big } from '../solana/margin-account';
import { perpAddresses } from '../solana/perp-program';
import type { RpcPool } from '../solana/rpc-pool';
import { readUsers } from './account-rows';

/** Differences kept in a stored report (the count is always exact). */
export const REPORT_DIFFERENCES_KEPT = 1_000;
/** Differences the activity returns to the workflow (its history carries them); the stored report has more. */
const RESULT_DIFFERENCES_KEPT = 50;
/** Entries kept in the alert stream. */
const ALERT_STREAM_MAX_LENGTH = 10_000;

export interface ReconciliationReport {
  reportId: string;
  at: string;
  /** The chain slot the account scan started at. */
  slot: string;
  accountsChecked: number;
  /** How many differences were found (the list below keeps the first REPORT_DIFFERENCES_KEPT). */
  differenceCount: number;
  differences: Difference[];
  totals: {
    chain: { vault: string; insuranceFund: string; pnlPool: string; collateral: string };
    books: { deposited: string; withdrawn: string; insuranceFund: string; collateral: string };
  };
}

function chainState(user: DecodedUser): AccountState {
  const open = new Map<number, BookPosition>();
  for (const p of user.positions) {
    if (p.marketIndex !== EMPTY_MARKET_INDEX && big(p.base) !== 0n)
      open.set(p.marketIndex, { base: big(p.base), quoteEntry: big(p.quoteEntry) });
  }
  return { collateral: big(user.collateral), unsettledPnl: big(user.unsettledPnl), positions: open };
}

// The alert is added once per report, however often the activity is retried.
const ALERT_ONCE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'alert', ARGV[3])
end
return false`;

export function createReconciliationActivities(pool: RpcPool, db: Database, redis: Redis, streamPrefix: string) {
  /** The books' balances and positions of these accounts (all of them when `only` is absent). */
  async function readBooks(only?: readonly string[]): Promise<Map<string, AccountState>> {
    const books = new Map<string, AccountState>();
    const stateOf = (account: string) => {
      let s = books.get(account);
      if (!s) books.set(account, (s = { collateral: 0n, unsettledPnl: 0n, positions: new Map() }));
      return s as AccountState & { positions: Map<number, BookPosition> };
    };
    const balances = only
      ? await db
          .select()
          .from(accountBalances)
          .where(inArray(accountBalances.account, [...only]))
      : await db.select().from(accountBalances);
    for (const b of balances)
      Object.assign(stateOf(b.account), { collateral: b.collateral, unsettledPnl: b.unsettledPnl });
    const rows = only
      ? await db
          .select()
          .from(positions)
          .where(inArray(positions.account, [...only]))
      : await db.select().from(positions);
    for (const p of rows)
      stateOf(p.account).positions.set(p.marketIndex, { base: p.baseAmount, quoteEntry: p.quoteEntry });
    return books;
  }

  async function bookTotals() {
    const { rows } = await db.execute<{
      deposited: string;
      withdrawn: string;
      fees: string;
      ledger: string;
      collateral: string;
    }>(sql`
      SELECT (SELECT coalesce(sum(amount), 0) FROM deposits)::text AS deposited,
             (SELECT coalesce(sum(amount), 0) FROM withdrawals WHERE status = 'settled')::text AS withdrawn,
             (SELECT coalesce(sum(fee), 0) FROM fills)::text AS fees,
             (SELECT coalesce(sum(delta), 0) FROM insurance_fund_ledger)::text AS ledger,
             (SELECT coalesce(sum(collateral), 0) FROM account_balances)::text AS collateral`);
    const t = rows[0]!;
    return {
      deposited: BigInt(t.deposited),
      withdrawn: BigInt(t.withdrawn),
      insuranceFund: BigInt(t.fees) + BigInt(t.ledger),
      collateral: BigInt(t.collateral),
    };
  }

  return {
    /**
     * Compares every sub-account's collateral, unsettled PnL and positions, the vault, the insurance fund
     * and the PnL pool on chain with the books, writes one report row (keyed by `reportId`: a retry
     * returns the stored report) and adds an alert to the alert stream when anything differs. An account
     * that differs is read again on both sides before it is reported, so a fill landing during the scan
     * is not taken for a difference.
     */
    async reconcileBooks(input: { reportId: string; at: string }): Promise<ReconciliationReport> {
      const [stored] = await db
        .select()
        .from(reconciliationReports)
        .where(eq(reconciliationReports.id, input.reportId));
      if (stored) return forHistory(stored.report as ReconciliationReport);

      const slot = await pool.call('read the slot', (c) => c.getSlot('confirmed'));
      const users = await scanUsers(pool);
      const [pools, vault, books, totals] = await Promise.all([
        fetchPools(pool),
        pool.call('read the vault', (c) => c.getTokenAccountBalance(perpAddresses.vault(), 'confirmed')),
        readBooks(),
        bookTotals(),
      ]);
      const chain = new Map([...users].map(([a, u]) => [a, chainState(u)]));
      let differences = compareAccounts(chain, books);

      // A second look at the accounts that differ: both sides read again, after the first reads.
      const suspects = [...new Set(differences.map((d) => d.account))];
      if (suspects.length) {
        const again = await readUsers(pool, suspects);
        const booksAgain = await readBooks(suspects);
        const chainAgain = new Map([...again.users].map(([a, u]) => [a, chainState(u)]));
        differences = compareAccounts(chainAgain, booksAgain);
      }
      const chainCollateral = [...chain.values()].reduce((s, a) => s + a.collateral, 0n);
      const chainTotals = {
        vault: BigInt(vault.value.amount),
        insuranceFund: pools.insuranceFund,
        pnlPool: pools.pnlPool,
        collateral: chainCollateral,
      };
      differences = [...differences, ...totalsDifferences(chainTotals, totals)];

      const str = <T extends Record<string, bigint>>(o: T) =>
        Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.toString()])) as { [K in keyof T]: string };
      const report: ReconciliationReport = {
        reportId: input.reportId,
        at: input.at,
        slot: String(slot),
        accountsChecked: new Set([...chain.keys(), ...books.keys()]).size,
        differenceCount: differences.length,
        differences: differences.slice(0, REPORT_DIFFERENCES_KEPT),
        totals: { chain: str(chainTotals), books: str(totals) },
      };
      await db
        .insert(reconciliationReports)
        .values({
          id: report.reportId,
          slot: BigInt(slot),
          accountsChecked: report.accountsChecked,
          differences: report.differenceCount,
          report,
          createdAt: new Date(input.at),
        })
        .onConflictDoNothing();
      if (report.differenceCount > 0) {
        const alert = {
          kind: 'reconciliation-difference',
          reportId: report.reportId,
          at: report.at,
          differences: report.differenceCount,
          first: report.differences.slice(0, 10),
        };
        await redis.eval(
          ALERT_ONCE,
          2,
          alertStreamKey(streamPrefix),
          `${streamPrefix}:alert-keys:${report.reportId}`,
          30 * 24 * 3600,
          ALERT_STREAM_MAX_LENGTH,
          JSON.stringify(alert),
        );
      }
      return forHistory(report);
    },
  };
}

const forHistory = (r: ReconciliationReport): ReconciliationReport => ({
  ...r,
  differences: r.differences.slice(0, RESULT_DIFFERENCES_KEPT),
});
