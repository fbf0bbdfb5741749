import { ApplicationFailure } from '@temporalio/common';
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Database } from '../platform/postgres';
import { accounts, deposits, wallets, withdrawals } from '../drizzle/schema';
import { writeBalanceRow, type Tx } from './account-rows';

/** A sub-account's balances read from chain (decimal strings); runs started before it was read have no unsettledPnl. */
export interface BalanceRead {
  collateral: string;
  unsettledPnl?: string;
  slot: string;
}

/** The books' copy of the balances the workflow read, when the read carried all of them. */
async function bookBalance(
  tx: Tx,
  account: string,
  wallet: string,
  read: BalanceRead | undefined,
  at: Date,
): Promise<void> {
  if (read?.unsettledPnl === undefined) return;
  await writeBalanceRow(tx, {
    account,
    wallet,
    collateral: BigInt(read.collateral),
    unsettledPnl: BigInt(read.unsettledPnl),
    slot: BigInt(read.slot),
    at,
  });
}

export interface DepositRecord {
  signature: string;
  wallet: string;
  account: string;
  subAccountId: number;
  amount: string;
  collateralAfter: string;
  slot: string;
  /** The balances read after the deposit (runs started before the books kept balances: absent). */
  balance?: BalanceRead;
  /** ISO time from the workflow's clock. */
  at: string;
}

export function createLedgerActivities(db: Database) {
  return {
    /** One row per deposit signature: a retry finds it and writes nothing. */
    async recordDeposit(d: DepositRecord): Promise<{ inserted: boolean }> {
      const at = new Date(d.at);
      return db.transaction(async (tx) => {
        await tx.insert(wallets).values({ address: d.wallet, createdAt: at }).onConflictDoNothing();
        await tx
          .insert(accounts)
          .values({ address: d.account, wallet: d.wallet, subAccountId: d.subAccountId, createdAt: at })
          .onConflictDoNothing();
        const rows = await tx
          .insert(deposits)
          .values({
            signature: d.signature,
            account: d.account,
            wallet: d.wallet,
            amount: BigInt(d.amount),
            collateralAfter: BigInt(d.collateralAfter),
            slot: BigInt(d.slot),
            createdAt: at,
          })
          .onConflictDoNothing()
          .returning({ signature: deposits.signature });
        await bookBalance(tx, d.account, d.wallet, d.balance, at);
        return { inserted: rows.length === 1 };
      });
    },
  };
}

export interface WithdrawalReservation {
  id: string;
  /** The signed transaction's signature (runs started before it was recorded at reservation: absent). */
  signature?: string;
  account: string;
  wallet: string;
  amount: string;
  /** Free collateral read from chain just before (decimal string). */
  freeCollateral: string;
  at: string;
}

export function createWithdrawalActivities(db: Database) {
  return {
    /**
     * Reserves the amount unless the account's free collateral, less what its other pending withdrawals
     * hold, cannot cover it. One transaction under a per-account lock, so two withdrawals never both fit
     * in the same room. Idempotent on the withdrawal id.
     */
    async reserveWithdrawal(r: WithdrawalReservation): Promise<void> {
      const at = new Date(r.at);
      await db.transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${r.account}))`);
        const existing = await tx.select().from(withdrawals).where(eq(withdrawals.id, r.id));
        if (existing.length > 0) return;
        if (r.signature) {
          const [same] = await tx
            .select()
            .from(withdrawals)
            .where(and(eq(withdrawals.signature, r.signature), ne(withdrawals.status, 'duplicate')));
          if (same) {
            throw ApplicationFailure.create({
              type: 'DuplicateWithdrawal',
              nonRetryable: true,
              message: `this signed transaction is withdrawal ${same.id} (${same.status}): sign a new one for another withdrawal`,
            });
          }
        }
        const [held] = await tx
          .select({ total: sql<string>`coalesce(sum(${withdrawals.amount}), 0)` })
          .from(withdrawals)
          .where(and(eq(withdrawals.account, r.account), eq(withdrawals.status, 'reserved')));
        const room = BigInt(r.freeCollateral) - BigInt(held?.total ?? '0');
        if (BigInt(r.amount) > room) {
          throw ApplicationFailure.create({
            type: 'InsufficientFreeCollateral',
            nonRetryable: true,
            message: `withdrawal of ${r.amount} exceeds free collateral ${room > 0n ? room : 0n} (after pending withdrawals)`,
          });
        }
        await tx.insert(wallets).values({ address: r.wallet, createdAt: at }).onConflictDoNothing();
        await tx.insert(withdrawals).values({
          id: r.id,
          account: r.account,
          wallet: r.wallet,
          amount: BigInt(r.amount),
          status: 'reserved',
          signature: r.signature ?? null,
          createdAt: at,
          updatedAt: at,
        });
      });
    },

    /** The reservation settled, and the balances read after the transfer booked (`balance`, absent in older runs). */
    async settleWithdrawal(s: {
      id: string;
      signature: string;
      at: string;
      account?: string;
      wallet?: string;
      balance?: BalanceRead;
    }): Promise<void> {
      const at = new Date(s.at);
      await db.transaction(async (tx) => {
        await tx
          .update(withdrawals)
          .set({ status: 'settled', signature: s.signature, updatedAt: at })
          .where(and(eq(withdrawals.id, s.id), eq(withdrawals.status, 'reserved')));
        if (s.account && s.wallet) await bookBalance(tx, s.account, s.wallet, s.balance, at);
      });
    },

    /** The saga's compensation: frees a reservation that will not be settled. */
    async releaseWithdrawal(s: { id: string; at: string }): Promise<void> {
      await db
        .update(withdrawals)
        .set({ status: 'released', updatedAt: new Date(s.at) })
        .where(and(eq(withdrawals.id, s.id), eq(withdrawals.status, 'reserved')));
    },
  };
}
