import { sql } from 'drizzle-orm';
import { abs, quoteValueFloor } from '../../domain/perp';
import type { Database } from '../../platform/postgres';
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
  /** Traders' fills since the previous sample (QUOTE_PRECISION): Σ |base| x price. */
  volume: bigint;
  /** Their premium over the oracle (QUOTE_PRECISION): Σ |base| x |fill price - oracle price at the fill|. */
  premium: bigint;
  /** The oracle's confidence (PRICE_PRECISION) and how many slots old its price was when sampled. */
  oracleConfidence: bigint;
  oracleAgeSlots: bigint;
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
  'volume',
  'premium',
  'oracleConfidence',
  'oracleAgeSlots',
]);

/** A sample from its stream fields' JSON (one recorded before volume was sampled has none). */
export function decodeSample(json: string): MarketSample {
  const sample = JSON.parse(json, (k, v: unknown) =>
    BIG_KEYS.has(k) && typeof v === 'string' ? BigInt(v) : v,
  ) as MarketSample;
  return {
    ...sample,
    volume: sample.volume ?? 0n,
    premium: sample.premium ?? 0n,
    oracleConfidence: sample.oracleConfidence ?? 0n,
    oracleAgeSlots: sample.oracleAgeSlots ?? 0n,
  };
}

/**
 * The market's traded flow in (from, to]: the volume of traders' fills and their premium over the oracle
 * price recorded at or before each fill (oracle_prices), both in QUOTE_PRECISION.
 */
export async function marketFlow(
  db: Database,
  marketIndex: number,
  from: Date,
  to: Date,
): Promise<{ volume: bigint; premium: bigint }> {
  const { rows } = await db.execute<{ base: string; price: string; oracle: string | null }>(sql`
    select f.base_amount as base, f.price,
      (select o.price from oracle_prices o
        where o.market_index = f.market_index and o.published_at <= f.filled_at
        order by o.published_at desc limit 1) as oracle
    from fills f
    where f.market_index = ${marketIndex} and f.filled_at > ${from.toISOString()} and f.filled_at <= ${to.toISOString()}`);
  let volume = 0n;
  let premium = 0n;
  for (const r of rows) {
    const base = abs(BigInt(r.base));
    const price = BigInt(r.price);
    volume += quoteValueFloor(base, price);
    if (r.oracle !== null) premium += quoteValueFloor(base, abs(price - BigInt(r.oracle)));
  }
  return { volume, premium };
}

/**
 * Reads a market from the chain now; `book` (loaded by the caller) gives the liquidation map, `flow` the fills
 * since the previous sample (marketFlow).
 */
export async function sampleMarket(
  pool: RpcPool,
  book: RiskBook,
  marketIndex: number,
  at: Date,
  flow: { volume: bigint; premium: bigint } = { volume: 0n, premium: 0n },
): Promise<MarketSample> {
  const { market, reading } = await fetchPricedMarket(pool, marketIndex);
  const slot = BigInt(await pool.request<number>('read the slot', 'getSlot', [{ commitment: 'confirmed' }]));
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
    ...flow,
    oracleConfidence: reading.confidence,
    oracleAgeSlots: slot > reading.publishSlot ? slot - reading.publishSlot : 0n,
  };
}
