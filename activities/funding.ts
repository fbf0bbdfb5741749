import { Wallet } from '@coral-xyz/anchor';
import { type Keypair, PublicKey } from '@solana/web3.js';
import { and, asc, eq, gt, ne } from 'drizzle-orm';
import { fundingOwed } from '../domain/perp';
import { fundingPayments, fundingRates, positions } from '../drizzle/schema';
import type { Database } from '../platform/postgres';
import { fetchMarket } from '../solana/accounts';
import { createPerpProgram, perpAddresses } from '../solana/perp-program';
import { ProgramRejectedError, type RpcPool } from '../solana/rpc-pool';
import { finalIfRejected, postgresJournal, requireKeeper, sendAsKeeper, type SendJournal } from '../solana/keeper-send';

export interface FundingUpdate {
  /** null when the period had already been cranked (by anyone): the index is read, not moved twice. */
  signature: string | null;
  rate: string;
  /** cumulativeIndex less the change to book: the crank's own change, or none if another settlement booked it. */
  previousIndex: string;
  cumulativeIndex: string;
  /** The crank's chain time (`last_funding_ts`): which crank this is, whoever sent it. */
  crankTs?: string;
}

export function createFundingActivities(
  pool: RpcPool,
  db: Database,
  keeper: Keypair | null,
  journal: SendJournal = postgresJournal(db),
) {
  let program: ReturnType<typeof createPerpProgram> | null = null;
  return {
    /** The market's cumulative funding index now (before this period's crank): the longs' (funding moves both sides alike). */
    async readFundingIndex(marketIndex: number): Promise<string> {
      return (await fetchMarket(pool, marketIndex)).cumulativeFundingIndexLong.toString();
    },

    /**
     * Runs the program's permissionless funding crank once for the period; a second call finds it done.
     * The payments are booked from the index change the program applied (`last_funding_delta`), whoever
     * cranked: a third party's crank before ours changes nothing in the books.
     */
    // `previousIndex` (read before the crank by runs since 'funding-index-read-first') is no longer used:
    // the market's applied delta says what to book. The workflow still passes it: its history must replay.
    async crankFunding(input: {
      marketIndex: number;
      previousIndex: string | null;
      epoch?: string;
    }): Promise<FundingUpdate> {
      const signer = requireKeeper(keeper, 'pay for the funding crank');
      const before = await fetchMarket(pool, input.marketIndex);
      const ix = await (program ??= createPerpProgram(pool.primary, new Wallet(signer))).methods
        .updateFunding()
        .accountsStrict({
          market: perpAddresses.market(input.marketIndex),
          oracle: new PublicKey(before.oracle.toBase58()),
        })
        .instruction();
      let signature: string | null = null;
      try {
        signature = await sendAsKeeper(pool, signer, [ix], journal);
      } catch (err) {
        if (!(err instanceof ProgramRejectedError && err.errorName === 'FundingNotDue')) throw finalIfRejected(err);
      }
      const after = await fetchMarket(pool, input.marketIndex);
      const cumulativeIndex = BigInt(after.cumulativeFundingIndexLong.toString());
      const crankTs = after.lastFundingTs.toString();
      // Each crank is booked once, by the first settlement that finds it (the period's, or the next).
      const [booked] = await db
        .select({ epoch: fundingRates.epoch })
        .from(fundingRates)
        .where(
          and(
            eq(fundingRates.marketIndex, input.marketIndex),
            eq(fundingRates.crankTs, BigInt(crankTs)),
            input.epoch ? ne(fundingRates.epoch, BigInt(input.epoch)) : undefined,
          ),
        );
      const previousIndex = booked ? cumulativeIndex : cumulativeIndex - BigInt(after.lastFundingDelta.toString());
      return {
        signature,
        rate: after.lastFundingRate.toString(),
        previousIndex: previousIndex.toString(),
        cumulativeIndex: cumulativeIndex.toString(),
        crankTs,
      };
    },

    async recordFundingRate(r: {
      marketIndex: number;
      epoch: string;
      update: FundingUpdate;
      at: string;
    }): Promise<void> {
      await db
        .insert(fundingRates)
        .values({
          marketIndex: r.marketIndex,
          epoch: BigInt(r.epoch),
          rate: BigInt(r.update.rate),
          cumulativeIndex: r.update.cumulativeIndex,
          signature: r.update.signature ?? 'already-cranked',
          settledAt: new Date(r.at),
          crankTs: r.update.crankTs === undefined ? null : BigInt(r.update.crankTs),
        })
        .onConflictDoNothing();
    },

    /**
     * One batch of per-position funding for the period, from the recorded positions in account order
     * (keyset pagination): what each position owes (> 0) or receives for the index move. Idempotent.
     */
    async recordFundingPayments(r: {
      marketIndex: number;
      epoch: string;
      previousIndex: string;
      cumulativeIndex: string;
      afterAccount: string | null;
      limit: number;
    }): Promise<{ written: number; lastAccount: string | null }> {
      const batch = await db
        .select()
        .from(positions)
        .where(
          and(
            eq(positions.marketIndex, r.marketIndex),
            r.afterAccount ? gt(positions.account, r.afterAccount) : undefined,
          ),
        )
        .orderBy(asc(positions.account))
        .limit(r.limit);
      if (batch.length === 0) return { written: 0, lastAccount: null };
      const rows = batch.map((p) => ({
        account: p.account,
        marketIndex: r.marketIndex,
        epoch: BigInt(r.epoch),
        wallet: p.wallet,
        amount: fundingOwed(p.baseAmount, BigInt(r.previousIndex), BigInt(r.cumulativeIndex)),
      }));
      await db.insert(fundingPayments).values(rows).onConflictDoNothing();
      return { written: rows.length, lastAccount: batch.at(-1)!.account };
    },
  };
}
