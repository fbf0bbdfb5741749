import { fetchPricedMarket } from '../../solana/accounts';
import type { RpcPool } from '../../solana/rpc-pool';
import type { RiskBook } from '../risk-monitor/risk-book';
import { liquidationMap, type MapBucket } from './signals';

/**
 * A market as MIKEY samples it from the chain (once a minute): the oracle price, open interest per side,
 * the last funding rate, the mark and oracle TWAPs, and the liquidation map built from the exact
 * liquidation price of every single-market account. Samples are written to MIKEY's own input stream
 * (`<prefix>:market-state:<symbol>`) and read back through its consumer group like every other input, so
 * a replay of the streams gives the same insights. Amounts stay integers (the program's precisions).
 */
export interface MarketSample {
  marketIndex: number;
  at: string;
  price: bigint;
  longOi: bigint;
  shortOi: bigint;
  /** Per hour, FUNDING_RATE_PRECISION. */
  fundingRate: bigint;
  markTwap: bigint;
  oracleTwap: bigint;
  map: MapBucket[];
}

/** The stream fields of a sample (every integer as a decimal string). */
export function encodeSample(s: MarketSample): string[] {
  return ['sample', JSON.stringify(s, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))];
}

const BIG_KEYS = new Set([
  'price',
  'longOi',
  'shortOi',
  'fundingRate',
  'markTwap',
  'oracleTwap',
  'from',
  'to',
  'long',
  'short',
]);

/** A sample from its stream fields' JSON. */
export function decodeSample(json: string): MarketSample {
  return JSON.parse(json, (k, v: unknown) =>
    BIG_KEYS.has(k) && typeof v === 'string' ? BigInt(v) : v,
  ) as MarketSample;
}

/** Reads a market from the chain now; `book` (loaded by the caller) gives the liquidation map. */
export async function sampleMarket(
  pool: RpcPool,
  book: RiskBook,
  marketIndex: number,
  at: Date,
): Promise<MarketSample> {
  const { market, reading } = await fetchPricedMarket(pool, marketIndex);
  const big = (v: { toString(): string }) => BigInt(v.toString());
  return {
    marketIndex,
    at: at.toISOString(),
    price: reading.price,
    longOi: big(market.longOpenInterest),
    shortOi: big(market.shortOpenInterest),
    fundingRate: big(market.lastFundingRate),
    markTwap: big(market.markTwap),
    oracleTwap: big(market.oracleTwap),
    map: liquidationMap(book.liquidationLevels(marketIndex), reading.price),
  };
}
