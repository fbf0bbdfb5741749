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
import { decodeSwitchboardFeed } from './switchboard-reader';

/** An oracle's reading in PRICE_PRECISION; `trading` false when its publisher says not to use it (stale). */
export interface OraclePrice extends OracleReading {
  trading: boolean;
}
export type PythPrice = OraclePrice;

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

/** The oracle kinds a market may name (the program's OracleSource). */
export type OracleKind = 'pyth' | 'switchboard';

/** A decoded market's oracle kind (Anchor decodes the enum as `{ pyth: {} }` or `{ switchboardOnDemand: {} }`). */
export const oracleKindOf = (market: { oracleSource: object }): OracleKind =>
  'switchboardOnDemand' in market.oracleSource ? 'switchboard' : 'pyth';

/** Reads a market's oracle account of `kind` through the pool (a Pyth price account by default). */
export async function readOraclePrice(
  pool: RpcPool,
  oracle: PublicKey,
  kind: OracleKind = 'pyth',
): Promise<OraclePrice> {
  const data = await accountData(pool, `read a ${kind} oracle account`, oracle.toBase58());
  if (!data) throw new Error(`${kind} oracle account ${oracle.toBase58()} does not exist`);
  return kind === 'switchboard' ? decodeSwitchboardFeed(data) : decodePythPrice(data);
}

/** The guards a risk-increasing action must pass, with a non-trading (or unsampled) feed counted as stale. */
export function oracleVerdict(
  params: MarketParams,
  reading: OraclePrice,
  currentSlot: bigint,
  twap: bigint,
): OracleVerdict {
  return reading.trading ? checkOracle(params, reading, currentSlot, twap) : 'stale';
}
