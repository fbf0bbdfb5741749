import { Wallet } from '@coral-xyz/anchor';
import { ApplicationFailure } from '@temporalio/common';
import { type Keypair, PublicKey } from '@solana/web3.js';
import { and, asc, eq, gt } from 'drizzle-orm';
import { fundingOwed } from '../domain/perp';
import { fundingPayments, fundingRates, positions } from '../drizzle/schema';
import type { Database } from '../platform/postgres';
import { fetchMarket } from '../solana/accounts';
import { createPerpProgram, perpAddresses } from '../solana/perp-program';
import { ProgramRejectedError, type RpcPool } from '../solana/rpc-pool';
import { finalIfRejected, postgresJournal, sendAsKeeper } from '../solana/keeper-send';

export interface FundingUpdate {
  /** null when the period had already been cranked (by anyone): the index is read, not moved twice. */
  signature: string | null;
  rate: string;
  previousIndex: string;
  cumulativeIndex: string;
}

export function createFundingActivities(pool: RpcPool, db: Database, keeper: Keypair | null) {
  return {
    /** The market's cumulative funding index now (before this period's crank): the longs' (funding moves both sides alike). */
    async readFundingIndex(marketIndex: number): Promise<string> {
      return (await fetchMarket(pool, marketIndex)).cumulativeFundingIndexLong.toString();
    },

    /** Runs the program's permissionless funding crank once for the period; a second call finds it done. */
    async crankFunding(input: { marketIndex: number; previousIndex: string | null }): Promise<FundingUpdate> {
      if (!keeper) throw ApplicationFailure.create({ type: 'KeeperNotConfigured', message: 'no keeper key to pay for the crank', nonRetryable: true });
      const before = await fetchMarket(pool, input.marketIndex);
      const previousIndex = input.previousIndex ?? before.cumulativeFundingIndexLong.toString();
      const program = createPerpProgram(pool.primary, new Wallet(keeper));
      const ix = await program.methods.updateFunding()
        .accountsStrict({ market: perpAddresses.market(input.marketIndex), oracle: new PublicKey(before.oracle.toBase58()) })
        .instruction();
      let signature: string | null = null;
      try {
        signature = await sendAsKeeper(pool, keeper, [ix], postgresJournal(db));
      } catch (err) {
        if (!(err instanceof ProgramRejectedError && err.errorName === 'FundingNotDue')) throw finalIfRejected(err);
      }
      const after = await fetchMarket(pool, input.marketIndex);
      return { signature, rate: after.lastFundingRate.toString(), previousIndex, cumulativeIndex: after.cumulativeFundingIndexLong.toString() };
    },

    async recordFundingRate(r: { marketIndex: number; epoch: string; update: FundingUpdate; at: string }): Promise<void> {
      await db.insert(fundingRates).values({
        marketIndex: r.marketIndex, epoch: BigInt(r.epoch), rate: BigInt(r.update.rate), cumulativeIndex: r.update.cumulativeIndex,
        signature: r.update.signature ?? 'already-cranked', settledAt: new Date(r.at),
      }).onConflictDoNothing();
    },

    /**
     * One batch of per-position funding for the period, from the recorded positions in account order
     * (keyset pagination): what each position owes (> 0) or receives for the index move. Idempotent.
     */
    async recordFundingPayments(r: { marketIndex: number; epoch: string; previousIndex: string; cumulativeIndex: string; afterAccount: string | null; limit: number }): Promise<{ written: number; lastAccount: string | null }> {
      const batch = await db.select().from(positions)
        .where(and(eq(positions.marketIndex, r.marketIndex), r.afterAccount ? gt(positions.account, r.afterAccount) : undefined))
        .orderBy(asc(positions.account)).limit(r.limit);
      if (batch.length === 0) return { written: 0, lastAccount: null };
      const rows = batch.map((p) => ({
        account: p.account, marketIndex: r.marketIndex, epoch: BigInt(r.epoch), wallet: p.wallet,
        amount: fundingOwed(p.baseAmount, BigInt(r.previousIndex), BigInt(r.cumulativeIndex)),
      }));
      await db.insert(fundingPayments).values(rows).onConflictDoNothing();
      return { written: rows.length, lastAccount: batch.at(-1)!.account };
    },
  };
}
