import { Wallet } from '@coral-xyz/anchor';
import type { Client } from '@temporalio/client';
import { cancelOrderUpdate } from '../../workflows/definitions';
import { ApplicationFailure } from '@temporalio/common';
import { type Keypair, PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { isBelowMaintenance } from '../../domain/perp';
import { insuranceFundLedger, liquidations } from '../../drizzle/schema';
import type { Database } from '../../platform/postgres';
import { loadMarginAccount } from '../risk/free-collateral';
import { EMPTY_MARKET_INDEX } from './perp-coders';
import { fetchInsuranceFund, fetchPricedMarket, fetchTradeReport, fetchUser } from './chain-reads';
import { createPerpProgram, marketMetas, perpAddresses } from './perp-program';
import { ProgramRejectedError, type RpcPool } from './rpc-pool';
import { postgresJournal, sendAsKeeper } from './keeper-send';

export interface LiquidationStep {
  signature: string;
  closedBase: string;
  baseAfter: string;
  collateralAfter: string;
  /** The oracle price the program closed at (PRICE_PRECISION). */
  price: string;
  /** Exactly what the insurance fund received. */
  fee: string;
}

export function createLiquidationActivities(pool: RpcPool, db: Database, keeper: Keypair | null, temporal: Client | null) {
  const keeperOrFail = () => {
    if (!keeper) throw ApplicationFailure.create({ type: 'KeeperNotConfigured', message: 'no keeper key', nonRetryable: true });
    return keeper;
  };
  const journal = postgresJournal(db);
  const send = (ixs: TransactionInstruction[]) => sendAsKeeper(pool, keeperOrFail(), ixs, journal);

  return {
    /** Cancels the account's resting orders (their workflows' cancel update); returns how many. */
    async cancelRestingOrders(account: string): Promise<number> {
      if (!temporal) return 0;
      let cancelled = 0;
      const query = `QdAccount = "${account.replace(/["\\]/g, '')}" AND QdKind = "order" AND ExecutionStatus = "Running"`;
      for await (const wf of temporal.workflow.list({ query })) {
        try {
          await temporal.workflow.getHandle(wf.workflowId).executeUpdate(cancelOrderUpdate);
          cancelled++;
        } catch {
          // already triggered or finished: nothing to cancel
        }
      }
      return cancelled;
    },

    /** Re-checks with fresh chain state: is the account below maintenance now? */
    async isLiquidatable(account: string): Promise<boolean> {
      return isBelowMaintenance(await loadMarginAccount(pool, account));
    },

    /** One partial liquidation step in a market; false when the program finds the account healthy. */
    async liquidateStep(input: { account: string; marketIndex: number }): Promise<LiquidationStep | null> {
      const program = createPerpProgram(pool.primary, new Wallet(keeperOrFail()));
      const before = await fetchUser(pool, input.account);
      const others = [];
      for (const p of before.positions) {
        if (p.marketIndex === EMPTY_MARKET_INDEX || p.marketIndex === input.marketIndex) continue;
        others.push({ market: perpAddresses.market(p.marketIndex), oracle: (await fetchPricedMarket(pool, p.marketIndex)).oracle });
      }
      const { oracle } = await fetchPricedMarket(pool, input.marketIndex);
      const ix = await program.methods.liquidate().accountsStrict({
        keeper: keeperOrFail().publicKey, global: perpAddresses.global(), user: new PublicKey(input.account),
        market: perpAddresses.market(input.marketIndex), oracle,
      }).remainingAccounts(marketMetas(others)).instruction();
      let signature: string;
      try {
        signature = await send([ix]);
      } catch (err) {
        if (err instanceof ProgramRejectedError && err.errorName === 'NotLiquidatable') return null;
        if (err instanceof ProgramRejectedError) throw ApplicationFailure.create({ type: err.errorName, message: err.message, nonRetryable: true });
        throw err;
      }
      // Exactly what the program executed (its return data), whatever else ran concurrently.
      const report = await fetchTradeReport(pool, signature);
      const closed = BigInt(report.baseDelta);
      return { signature, closedBase: (closed < 0n ? -closed : closed).toString(), baseAfter: report.baseAfter, collateralAfter: report.collateralAfter, price: report.price, fee: report.fee };
    },

    /** When no position is left and collateral is negative: insurance pays, the rest is socialized. */
    async resolveBankruptcyIfNeeded(input: { account: string; marketIndex: number }): Promise<{ signature: string; deficit: string; insurancePaid: string; socializedLoss: string } | null> {
      const user = await fetchUser(pool, input.account);
      const deficit = -BigInt(user.collateral.toString());
      if (deficit <= 0n || user.positions.some((p) => p.marketIndex !== EMPTY_MARKET_INDEX)) return null;
      const program = createPerpProgram(pool.primary, new Wallet(keeperOrFail()));
      const ix = await program.methods.resolveBankruptcy().accountsStrict({
        keeper: keeperOrFail().publicKey, global: perpAddresses.global(), user: new PublicKey(input.account), market: perpAddresses.market(input.marketIndex),
      }).instruction();
      const before = await fetchInsuranceFund(pool);
      const signature = await send([ix]);
      const paid = before - (await fetchInsuranceFund(pool));
      return { signature, deficit: deficit.toString(), insurancePaid: paid.toString(), socializedLoss: (deficit - paid).toString() };
    },

    /** The liquidation row and its insurance-fund entries, keyed by the workflow's business key. */
    async recordLiquidation(r: { id: string; account: string; wallet: string; marketIndex: number; closedBase: string; price: string; fee: string; insurancePaid: string; socializedLoss: string; signature: string; at: string }): Promise<void> {
      const at = new Date(r.at);
      await db.transaction(async (tx) => {
        await tx.insert(liquidations).values({
          id: r.id, account: r.account, wallet: r.wallet, marketIndex: r.marketIndex, closedBase: BigInt(r.closedBase), price: BigInt(r.price),
          fee: BigInt(r.fee), insurancePaid: BigInt(r.insurancePaid), socializedLoss: BigInt(r.socializedLoss), signature: r.signature, createdAt: at,
        }).onConflictDoNothing();
        if (BigInt(r.fee) > 0n) await tx.insert(insuranceFundLedger).values({ entryKey: `liq-fee:${r.id}`, delta: BigInt(r.fee), reason: 'liquidation fee', createdAt: at }).onConflictDoNothing();
        if (BigInt(r.insurancePaid) > 0n) await tx.insert(insuranceFundLedger).values({ entryKey: `bankruptcy:${r.id}`, delta: -BigInt(r.insurancePaid), reason: 'bankruptcy cover', createdAt: at }).onConflictDoNothing();
      });
    },
  };
}
