import type { Database } from '../../platform/postgres';
import { accounts, deposits, wallets } from '../../drizzle/schema';

export interface DepositRecord {
  signature: string;
  wallet: string;
  account: string;
  subAccountId: number;
  amount: string;
  collateralAfter: string;
  slot: string;
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
        await tx.insert(accounts).values({ address: d.account, wallet: d.wallet, subAccountId: d.subAccountId, createdAt: at }).onConflictDoNothing();
        const rows = await tx.insert(deposits).values({
          signature: d.signature, account: d.account, wallet: d.wallet, amount: BigInt(d.amount),
          collateralAfter: BigInt(d.collateralAfter), slot: BigInt(d.slot), createdAt: at,
        }).onConflictDoNothing().returning({ signature: deposits.signature });
        return { inserted: rows.length === 1 };
      });
    },
  };
}
