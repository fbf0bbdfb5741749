import { Wallet } from '@coral-xyz/anchor';
import { ApplicationFailure } from '@temporalio/common';
import { type Keypair, PublicKey } from '@solana/web3.js';
import { and, eq, sql } from 'drizzle-orm';
import { equity, marginRequirement, preTrade } from '../domain/perp';
import { fills, orders, wallets, accounts } from '../drizzle/schema';
import { readUsers, writeAccountRows } from './account-rows';
import type { Database } from '../platform/postgres';
import { big, marginAccountOf, paramsOf } from '../solana/margin-account';
import {
  fetchPools,
  fetchPricedMarket,
  fetchTradeReport,
  type TradeReport,
  fetchUser,
  oracleOf,
  otherMarketsOf,
} from '../solana/accounts';
import { createPerpProgram, fillOrderInstructions, perpAddresses } from '../solana/perp-program';
import type { RpcPool } from '../solana/rpc-pool';
import { checkSignedOrder, toOrderMessage, type OrderWire, type SignedOrder } from '../solana/signed-order';
import {
  finalIfRejected,
  postgresJournal,
  requireKeeper,
  sendAsKeeperAndRead,
  type SendJournal,
} from '../solana/keeper-send';
import { PROGRAM_REJECTION } from '../workflows/definitions';

export { toOrderMessage, type OrderWire, type SignedOrder } from '../solana/signed-order';

export interface FillReceipt {
  signature: string;
  baseAmount: string;
  price: string;
  fee: string;
  realizedPnl: string;
}

/** What an order row is made of (the order workflow's records of a fill or a rejection). */
export interface OrderRowInput {
  orderId: string;
  clientOrderId: string;
  kind: string;
  wallet: string;
  subAccountId: number;
  order: OrderWire;
  triggerPrice: string | null;
}
type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Every write of an order row stamps it by the database's clock: the trigger index reads rows changed since. */
const changedNow = sql`clock_timestamp()`;

/**
 * The order's row (with its wallet and sub-account rows): at its final status, or `open` while it waits for
 * its trigger (an open row never overwrites a final one).
 */
async function upsertOrderRow(
  tx: Tx,
  r: OrderRowInput,
  status: 'open' | 'filled' | 'rejected',
  reason: string | null,
  at: Date,
): Promise<void> {
  await tx.insert(wallets).values({ address: r.wallet, createdAt: at }).onConflictDoNothing();
  await tx
    .insert(accounts)
    .values({ address: r.order.user, wallet: r.wallet, subAccountId: r.subAccountId, createdAt: at })
    .onConflictDoNothing();
  await tx
    .insert(orders)
    .values({
      id: r.orderId,
      account: r.order.user,
      wallet: r.wallet,
      marketIndex: r.order.marketIndex,
      clientOrderId: r.clientOrderId,
      kind: r.kind,
      baseAmount: BigInt(r.order.baseAmount),
      limitPrice: BigInt(r.order.limitPrice),
      triggerPrice: r.triggerPrice === null ? null : BigInt(r.triggerPrice),
      reduceOnly: r.order.reduceOnly,
      nonce: BigInt(r.order.nonce),
      status,
      reason,
      createdAt: at,
      updatedAt: at,
      changedAt: changedNow,
    })
    .onConflictDoUpdate({
      target: orders.id,
      set: { status, reason, updatedAt: at, changedAt: changedNow },
      ...(status === 'open' ? { setWhere: eq(orders.status, 'open') } : {}),
    });
}

const fail = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });
/** The program's rule refuses this fill (`type` is the program's error name): the order ends rejected, as if the program had. */
const refuse = (type: string, message: string) =>
  ApplicationFailure.create({ type, message, nonRetryable: true, details: [PROGRAM_REJECTION] });

export function createOrderActivities(
  pool: RpcPool,
  db: Database,
  keeper: Keypair | null,
  journal: SendJournal = postgresJournal(db),
) {
  let fillProgram: ReturnType<typeof createPerpProgram> | null = null;
  return {
    /** The wallet signed exactly this order, for its own sub-account. */
    async verifyOrderSignature(s: SignedOrder): Promise<{ account: string; wallet: string; subAccountId: number }> {
      const check = checkSignedOrder(s);
      if (!check.ok) throw fail('InvalidOrderSignature', check.message);
      return { account: check.account, wallet: check.wallet, subAccountId: check.subAccountId };
    },

    /**
     * Pre-trade risk: the program's own rule (domain/perp preTrade) on chain state read now, so an order the
     * program would refuse ends before anything is sent, with the program's error name. `limit: false`
     * leaves out the limit price: a resting order is placed away from the market, its limit applies when it
     * triggers.
     */
    async preTradeCheck(
      o: OrderWire,
      options: { limit?: boolean } = {},
    ): Promise<{ estimatedPrice: string; oraclePrice: string }> {
      const priced = await fetchPricedMarket(pool, o.marketIndex);
      const { market, reading } = priced;
      const params = paramsOf(market);
      const [slot, user, pools] = await Promise.all([
        pool.call('read the slot', (c) => c.getSlot()),
        fetchUser(pool, o.user),
        fetchPools(pool),
      ]);
      // The order's market was read just now: the account is valued with that read, not a second one.
      const account = await marginAccountOf(pool, user, new Map([[o.marketIndex, priced]]));
      const verdict = preTrade({
        pnlPool: { balance: pools.pnlPool, unsettled: big(user.unsettledPnl) },
        params,
        oracle: reading,
        slot: BigInt(slot),
        account,
        marketIndex: o.marketIndex,
        fundingIndex: big(
          BigInt(o.baseAmount) < 0n ? market.cumulativeFundingIndexShort : market.cumulativeFundingIndexLong,
        ),
        market: {
          longOpenInterest: big(market.longOpenInterest),
          shortOpenInterest: big(market.shortOpenInterest),
          maxOpenInterest: params.maxOpenInterestBase,
          oracleTwap: big(market.oracleTwap),
          paused: market.paused,
        },
        order: {
          baseAmount: BigInt(o.baseAmount),
          limitPrice: options.limit === false ? null : BigInt(o.limitPrice),
          reduceOnly: o.reduceOnly,
        },
      });
      if (!verdict.ok) {
        const detail =
          verdict.refusal === 'InsufficientCollateral'
            ? `equity ${equity(verdict.after)}, required ${marginRequirement(verdict.after, 'initial')}`
            : `${verdict.refusal}, as the program would`;
        throw refuse(
          verdict.refusal,
          verdict.refusal === 'InsufficientCollateral'
            ? `the order needs more margin than the account has (${detail})`
            : `the order cannot fill: ${detail}`,
        );
      }
      return { estimatedPrice: verdict.plan.price.toString(), oraclePrice: reading.price.toString() };
    },

    /** The keeper submits the signed order; the same signed bytes are rebroadcast, re-signed only when expired. */
    async submitFill(s: SignedOrder): Promise<FillReceipt> {
      const signer = requireKeeper(keeper, 'fill orders');
      // Builds instructions only (sends go through the pool): one client for every fill, its IDL coder built once.
      const program = (fillProgram ??= createPerpProgram(pool.primary, new Wallet(signer)));
      const user = await fetchUser(pool, s.order.user);
      const ixs = await fillOrderInstructions(
        program,
        toOrderMessage(s.order),
        new PublicKey(s.authority),
        Buffer.from(s.signature, 'base64'),
        {
          keeper: signer.publicKey,
          market: perpAddresses.market(s.order.marketIndex),
          oracle: await oracleOf(pool, s.order.marketIndex),
          otherMarkets: await otherMarketsOf(pool, user, s.order.marketIndex),
        },
      );
      let sent: { signature: string; read: TradeReport };
      try {
        // What the program executed, as it returned it: exact however many keepers fill concurrently.
        sent = await sendAsKeeperAndRead(pool, signer, ixs, (sig) => fetchTradeReport(pool, sig), journal);
      } catch (err) {
        // A program rejection is final (the order ends rejected with its name); infrastructure is retried.
        throw finalIfRejected(err);
      }
      const { signature, read: report } = sent;
      return {
        signature,
        baseAmount: report.baseDelta,
        price: report.price,
        fee: report.fee,
        realizedPnl: report.realizedPnl,
      };
    },

    /** Order, fill and position rows, keyed by order id and signature: a retry writes nothing new. */
    async recordOrderFill(r: OrderRowInput & { fill: FillReceipt; at: string }): Promise<void> {
      const at = new Date(r.at);
      const users = await readUsers(pool, [r.order.user]);
      await db.transaction(async (tx) => {
        await upsertOrderRow(tx, r, 'filled', null, at);
        await tx
          .insert(fills)
          .values({
            signature: r.fill.signature,
            orderId: r.orderId,
            account: r.order.user,
            wallet: r.wallet,
            marketIndex: r.order.marketIndex,
            baseAmount: BigInt(r.fill.baseAmount),
            price: BigInt(r.fill.price),
            fee: BigInt(r.fill.fee),
            realizedPnl: BigInt(r.fill.realizedPnl),
            filledAt: at,
          })
          .onConflictDoNothing();
        await writeAccountRows(tx, users, at);
      });
    },

    /** An order the program refused to fill: its row (a market order has none yet) says why. */
    async recordOrderRejected(r: OrderRowInput & { reason: string; at: string }): Promise<void> {
      const at = new Date(r.at);
      await db.transaction((tx) => upsertOrderRow(tx, r, 'rejected', r.reason, at));
    },

    /** A waiting order's row (`open`, with its trigger): the risk monitor's trigger index reads it from here. */
    async recordOrderResting(r: OrderRowInput & { at: string }): Promise<void> {
      await db.transaction((tx) => upsertOrderRow(tx, r, 'open', null, new Date(r.at)));
    },

    /** A waiting order's new trigger (an amendment); a row no longer open keeps its final state. */
    async recordOrderTrigger(r: { orderId: string; triggerPrice: string; at: string }): Promise<void> {
      await db
        .update(orders)
        .set({ triggerPrice: BigInt(r.triggerPrice), updatedAt: new Date(r.at), changedAt: changedNow })
        .where(and(eq(orders.id, r.orderId), eq(orders.status, 'open')));
    },

    async recordOrderClosed(r: {
      orderId: string;
      status: 'cancelled' | 'expired' | 'rejected' | 'failed';
      at: string;
    }): Promise<void> {
      await db
        .update(orders)
        .set({ status: r.status, updatedAt: new Date(r.at), changedAt: changedNow })
        .where(eq(orders.id, r.orderId));
    },
  };
}
