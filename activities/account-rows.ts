import { and, inArray, sql } from 'drizzle-orm';
import { accountBalances, positions } from '../drizzle/schema';
import type { Database } from '../platform/postgres';
import { insertByColumns, setExcluded } from '../platform/unnest';
import { type DecodedUser, decodeUser, EMPTY_MARKET_INDEX } from '../solana/perp-coders';
import { big } from '../solana/margin-account';
import type { RpcPool } from '../solana/rpc-pool';
import { fetchAccountsData } from '../solana/accounts';

/** A Drizzle transaction. */
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface UsersRead {
  users: Map<string, DecodedUser>;
  /** The oldest slot the reads answered at (100 accounts per read). */
  slot: bigint;
}

/** Sub-accounts as the chain holds them now (absent ones are left out), read 100 at a time. */
export async function readUsers(pool: RpcPool, accounts: readonly string[]): Promise<UsersRead> {
  const unique = [...new Set(accounts)];
  const users = new Map<string, DecodedUser>();
  let slot: bigint | null = null;
  for (let i = 0; i < unique.length; i += 100) {
    const chunk = unique.slice(i, i + 100);
    const { slot: read, values } = await fetchAccountsData(pool, 'read sub-accounts', chunk);
    if (slot === null || BigInt(read) < slot) slot = BigInt(read);
    values.forEach((info, j) => {
      if (info) users.set(chunk[j]!, decodeUser(info.data));
    });
  }
  return { users, slot: slot ?? 0n };
}

export interface BalanceRow {
  account: string;
  wallet: string;
  collateral: bigint;
  unsettledPnl: bigint;
  slot: bigint;
  at: Date;
}

/**
 * A sub-account's balances as the chain held them at `slot`. A row only moves forward: a write from an
 * older read (two workflows bookkeeping the same account out of order) leaves the newer one in place and
 * returns false.
 */
export async function writeBalanceRow(tx: Tx | Database, row: BalanceRow): Promise<boolean> {
  return (await writeBalanceRows(tx, [row])).has(row.account);
}

/** Balance rows in one statement, in the order given (writeBalanceRow's rule for each); returns the accounts written. */
async function writeBalanceRows(tx: Tx | Database, rows: readonly BalanceRow[]): Promise<Set<string>> {
  const { account, collateral, unsettledPnl, slot, updatedAt } = accountBalances;
  const written = await tx.execute<{ account: string }>(sql`${insertByColumns(
    accountBalances,
    ['account', 'wallet', 'collateral', 'unsettledPnl', 'slot', 'updatedAt'],
    rows.map((row) => ({ ...row, updatedAt: row.at })),
  )}
    on conflict (${sql.identifier(account.name)}) do update
    set ${setExcluded([collateral, unsettledPnl, slot, updatedAt])}
    where ${accountBalances.slot} <= excluded.slot
    returning ${sql.identifier(account.name)} as account`);
  return new Set(written.rows.map((r) => r.account));
}

/**
 * The books of these sub-accounts made what the chain holds: their balances (as writeBalanceRow writes
 * one), each open position upserted, every other `positions` row of the account deleted (closed by a
 * fill, a liquidation step or a bankruptcy), so funding is never booked for a position that is gone. An
 * account whose books already hold a newer read is left as it is. Three statements however many accounts
 * (a crash's batch books forty at once), each taking its rows in account order: two transactions writing
 * overlapping accounts (a crash's batches, a liquidation and a fill) wait for each other, never deadlock.
 */
export async function writeAccountRows(tx: Tx, { users, slot }: UsersRead, at: Date): Promise<void> {
  const ordered = [...users].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (!ordered.length) return;
  const newer = await writeBalanceRows(
    tx,
    ordered.map(([account, user]) => ({
      account,
      wallet: user.authority.toBase58(),
      collateral: big(user.collateral),
      unsettledPnl: big(user.unsettledPnl),
      slot,
      at,
    })),
  );
  const fresh = ordered.filter(([account]) => newer.has(account));
  if (!fresh.length) return;
  const open = fresh.flatMap(([account, user]) =>
    user.positions
      .filter((p) => p.marketIndex !== EMPTY_MARKET_INDEX && big(p.base) !== 0n)
      .map((p) => ({
        account,
        marketIndex: p.marketIndex,
        wallet: user.authority.toBase58(),
        baseAmount: big(p.base),
        quoteEntry: big(p.quoteEntry),
        lastFundingIndex: p.lastFundingIndex.toString(),
        updatedAt: at,
      })),
  );
  if (open.length) {
    const { account, marketIndex, wallet, baseAmount, quoteEntry, lastFundingIndex, updatedAt } = positions;
    await tx.execute(sql`${insertByColumns(
      positions,
      ['account', 'marketIndex', 'wallet', 'baseAmount', 'quoteEntry', 'lastFundingIndex', 'updatedAt'],
      open,
    )}
      on conflict (${sql.identifier(account.name)}, ${sql.identifier(marketIndex.name)}) do update
      set ${setExcluded([wallet, baseAmount, quoteEntry, lastFundingIndex, updatedAt])}`);
  }
  const kept = open.map((p) => sql`(${p.account}, ${p.marketIndex})`);
  await tx.delete(positions).where(
    and(
      inArray(
        positions.account,
        fresh.map(([account]) => account),
      ),
      kept.length
        ? sql`(${positions.account}, ${positions.marketIndex}) NOT IN (${sql.join(kept, sql`, `)})`
        : undefined,
    ),
  );
}
