import { ApplicationFailure } from '@temporalio/common';
import { PublicKey } from '@solana/web3.js';
import { perpAccountsCoder, perpTypesCoder, type DecodedMarket, type DecodedUser } from './perp-coders';
import { PERP_PROGRAM_ID, perpAddresses } from './perp-program';
import { readPythPrice, type PythPrice } from './pyth-reader';
import type { RpcPool } from './rpc-pool';

/** The program's accounts read through the pool and decoded; a missing one is a named, final failure. */
export async function fetchUser(pool: RpcPool, account: string): Promise<DecodedUser> {
  const info = await pool.call('read a user account', (c) => c.getAccountInfo(new PublicKey(account)));
  if (!info) throw ApplicationFailure.create({ type: 'AccountNotFound', message: `no sub-account ${account}`, nonRetryable: true });
  return perpAccountsCoder.decode<DecodedUser>('user', info.data);
}

export async function fetchMarket(pool: RpcPool, marketIndex: number): Promise<DecodedMarket> {
  const info = await pool.call('read a market', (c) => c.getAccountInfo(perpAddresses.market(marketIndex)));
  if (!info) throw ApplicationFailure.create({ type: 'UnknownMarket', message: `no market ${marketIndex}`, nonRetryable: true });
  return perpAccountsCoder.decode<DecodedMarket>('market', info.data);
}

/** A market with its oracle's current Pyth reading. */
export async function fetchPricedMarket(pool: RpcPool, marketIndex: number): Promise<{ market: DecodedMarket; oracle: PublicKey; reading: PythPrice }> {
  const market = await fetchMarket(pool, marketIndex);
  const oracle = new PublicKey(market.oracle.toBase58());
  return { market, oracle, reading: await readPythPrice(pool, oracle) };
}

export async function fetchInsuranceFund(pool: RpcPool): Promise<bigint> {
  const info = await pool.call('read the global state', (c) => c.getAccountInfo(perpAddresses.global()));
  if (!info) throw new Error('the program has no global state');
  return BigInt(perpAccountsCoder.decode<{ insuranceFund: { toString(): string } }>('globalState', info.data).insuranceFund.toString());
}

/** What fill_order and liquidate executed, from the transaction's return data (amounts as decimal strings). */
export interface TradeReport {
  marketIndex: number;
  baseDelta: string;
  price: string;
  fee: string;
  realizedPnl: string;
  fundingPaid: string;
  baseAfter: string;
  quoteEntryAfter: string;
  collateralAfter: string;
}

/**
 * Reads the TradeReport a landed fill or liquidation returned. The transaction is confirmed when this
 * runs; a provider that has not indexed it yet throws, and the pool or the activity retries.
 */
export async function fetchTradeReport(pool: RpcPool, signature: string): Promise<TradeReport> {
  const tx = await pool.call('read a transaction', (c) => c.getTransaction(signature, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 }));
  // web3.js passes the node's meta.returnData through without declaring it on this type.
  const returned = (tx?.meta as { returnData?: { programId: string; data: [string, string] } | null } | null | undefined)?.returnData;
  if (!returned || returned.programId !== PERP_PROGRAM_ID.toBase58()) throw new Error(`transaction ${signature} has no trade report from the program`);
  const r = perpTypesCoder.decode<Record<keyof TradeReport, { toString(): string }>>('tradeReport', Buffer.from(returned.data[0], 'base64'));
  return {
    marketIndex: Number(r.marketIndex.toString()), baseDelta: r.baseDelta.toString(), price: r.price.toString(), fee: r.fee.toString(),
    realizedPnl: r.realizedPnl.toString(), fundingPaid: r.fundingPaid.toString(), baseAfter: r.baseAfter.toString(),
    quoteEntryAfter: r.quoteEntryAfter.toString(), collateralAfter: r.collateralAfter.toString(),
  };
}
