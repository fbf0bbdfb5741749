import { accountData } from './account-data';
import { parsePriceData, PriceStatus } from '@pythnetwork/client';
import type { PublicKey } from '@solana/web3.js';
import {
  checkOracle,
  toPricePrecision,
  type MarketParams,
  type OracleReading,
  type OracleVerdict,
} from '../domain/perp';
import type { RpcPool } from './rpc-pool';

export interface PythPrice extends OracleReading {
  trading: boolean;
}

/** Decodes a Pyth v2 price account with @pythnetwork/client's parser; amounts in PRICE_PRECISION. */
export function decodePythPrice(data: Buffer): PythPrice {
  const parsed = parsePriceData(data);
  const aggregate = parsed.aggregate;
  return {
    price: toPricePrecision(aggregate.priceComponent, parsed.exponent, 'down'),
    confidence: toPricePrecision(aggregate.confidenceComponent, parsed.exponent, 'up'),
    publishSlot: BigInt(aggregate.publishSlot),
    trading: aggregate.status === PriceStatus.Trading,
  };
}

/** Reads an oracle account through the pool. */
export async function readPythPrice(pool: RpcPool, oracle: PublicKey): Promise<PythPrice> {
  const data = await accountData(pool, 'read a Pyth price account', oracle.toBase58());
  if (!data) throw new Error(`Pyth price account ${oracle.toBase58()} does not exist`);
  return decodePythPrice(data);
}

/** The guards a risk-increasing action must pass, with a non-trading feed counted as stale. */
export function oracleVerdict(
  params: MarketParams,
  reading: PythPrice,
  currentSlot: bigint,
  twap: bigint,
): OracleVerdict {
  return reading.trading ? checkOracle(params, reading, currentSlot, twap) : 'stale';
}
