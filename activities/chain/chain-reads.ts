import { ApplicationFailure } from '@temporalio/common';
import { PublicKey } from '@solana/web3.js';
import { perpAccountsCoder, type DecodedMarket, type DecodedUser } from './perp-coders';
import { perpAddresses } from './perp-program';
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
