import { PRICE_PRECISION } from '../../domain/perp';

// MIKEY's signals (issue 14): pure functions of their inputs, so the same stream always gives the same
// insights. Prices stay bigint (PRICE_PRECISION) up to here; returns and volatilities are statistics of
// them, computed in floating point and never used as amounts.

/** One-minute OHLC of a market's price ticks (bigint, PRICE_PRECISION); `start` in ms since the epoch. */
export interface Candle {
  start: number;
  open: bigint;
  high: bigint;
  low: bigint;
  close: bigint;
}

export const CANDLE_MS = 60_000;
/** RiskMetrics' decay for the EWMA variance of one-minute returns. */
export const EWMA_LAMBDA = 0.94;
const MINUTES_PER_YEAR = 365 * 24 * 60;
/** Annualized volatility bounds of the regimes (calm below the first, stressed from the second). */
export const REGIME_BOUNDS = { calm: 0.4, stressed: 1.2 } as const;
/** A one-minute return this many robust deviations from the window's median is an anomaly. */
export const ANOMALY_Z = 6;
/** Liquidations of one market within CASCADE_WINDOW_MS that make a cascade. */
export const CASCADE_COUNT = 5;
export const CASCADE_WINDOW_MS = 60_000;

/** Adds a tick to the candles (ticks arrive in time order; a tick older than the last candle is dropped). */
export function addTick(candles: Candle[], price: bigint, atMs: number, keep: number): Candle[] {
  const start = Math.floor(atMs / CANDLE_MS) * CANDLE_MS;
  const last = candles.at(-1);
  if (last && start < last.start) return candles;
  if (last && last.start === start) {
    last.close = price;
    if (price > last.high) last.high = price;
    if (price < last.low) last.low = price;
    return candles;
  }
  candles.push({ start, open: price, high: price, low: price, close: price });
  if (candles.length > keep) candles.splice(0, candles.length - keep);
  return candles;
}

const asFloat = (p: bigint) => Number(p) / Number(PRICE_PRECISION);

/** Log returns of consecutive closes. */
export function logReturns(candles: readonly Candle[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < candles.length; i++)
    out.push(Math.log(asFloat(candles[i]!.close) / asFloat(candles[i - 1]!.close)));
  return out;
}

/** EWMA volatility of one-minute returns, annualized: sqrt(variance per minute x minutes per year). */
export function ewmaVolatility(returns: readonly number[], lambda = EWMA_LAMBDA): number | null {
  if (returns.length < 2) return null;
  let variance = returns[0]! ** 2;
  for (const r of returns.slice(1)) variance = lambda * variance + (1 - lambda) * r ** 2;
  return Math.sqrt(variance * MINUTES_PER_YEAR);
}

/** Parkinson's range volatility of the candles, annualized: sqrt(mean(ln(H/L)^2) / (4 ln 2)). */
export function parkinsonVolatility(candles: readonly Candle[]): number | null {
  if (!candles.length) return null;
  const mean = candles.reduce((sum, c) => sum + Math.log(asFloat(c.high) / asFloat(c.low)) ** 2, 0) / candles.length;
  return Math.sqrt((mean / (4 * Math.LN2)) * MINUTES_PER_YEAR);
}

export type Regime = 'calm' | 'normal' | 'stressed';

export function regimeOf(annualizedVolatility: number): Regime {
  if (annualizedVolatility < REGIME_BOUNDS.calm) return 'calm';
  return annualizedVolatility < REGIME_BOUNDS.stressed ? 'normal' : 'stressed';
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Robust z-score of `x` against `window`: (x - median) / (1.4826 x MAD), the MAD scaled to a normal's
 * standard deviation, and at least `minScale` (so a flat history gives a finite, meaningful z rather than
 * a huge one). Null when the window is too short, or flat without a floor.
 */
export function robustZ(x: number, window: readonly number[], minScale = 0): number | null {
  if (window.length < 10) return null;
  const m = median(window);
  const mad = Math.max(median(window.map((v) => Math.abs(v - m))) * 1.4826, minScale);
  return mad > 0 ? (x - m) / mad : null;
}

/** Whether the liquidation times (ms) hold a cascade ending at `nowMs`: CASCADE_COUNT within the window. */
export function cascadeAt(liquidationTimes: readonly number[], nowMs: number): number {
  return liquidationTimes.filter((t) => t > nowMs - CASCADE_WINDOW_MS && t <= nowMs).length;
}

// --- market state (sampled from the chain: open interest, funding, TWAPs, the liquidation map) ---------

const HOURS_PER_YEAR = 365 * 24;
/** A funding rate this many robust deviations from its own recent history is extreme. */
export const FUNDING_Z = 3;
/** The least deviation of funding APR the z-score scales by (1 % a year): a flat history is not a zero one. */
export const FUNDING_MIN_SCALE = 0.01;
/**
 * A minute's traded volume this many robust deviations above its last hour is an anomaly; volumes are compared as
 * ln(1 + volume in USDC), with a least deviation of 0.5 (about 65 %), so a quiet market's first burst counts.
 */
export const VOLUME_Z = 4;
export const VOLUME_MIN_SCALE = 0.5;
/** The same for the effective spread (volume-weighted |fill - oracle| / oracle, bps), least deviation 1 bps. */
export const SPREAD_Z = 4;
export const SPREAD_MIN_SCALE = 1;

export type OracleHealth = 'healthy' | 'degraded' | 'refused';

/**
 * An oracle reading against the market's guards (the program's check_oracle): each measure as a share of its
 * limit, the largest deciding: above 1 the program refuses risk-increasing fills, above 0.5 it is degraded.
 */
export function oracleHealthOf(
  s: { price: bigint; oracleTwap: bigint; oracleConfidence: bigint; oracleAgeSlots: bigint },
  limits: { oracleMaxStaleSlots: bigint; oracleMaxConfidenceBps: bigint; oracleMaxTwapDeviationBps: bigint },
): { state: OracleHealth; worst: number; confidenceBps: number; deviationBps: number } {
  const confidenceBps = s.price > 0n ? (Number(s.oracleConfidence) / Number(s.price)) * 10_000 : Infinity;
  const deviationBps =
    s.oracleTwap > 0n ? (Math.abs(Number(s.price - s.oracleTwap)) / Number(s.oracleTwap)) * 10_000 : 0;
  const worst = Math.max(
    Number(s.oracleAgeSlots) / Number(limits.oracleMaxStaleSlots),
    confidenceBps / Number(limits.oracleMaxConfidenceBps),
    deviationBps / Number(limits.oracleMaxTwapDeviationBps),
  );
  return { state: worst > 1 ? 'refused' : worst > 0.5 ? 'degraded' : 'healthy', worst, confidenceBps, deviationBps };
}

/** ln(1 + volume in whole USDC): how volumes are compared. */
export const logVolume = (volumeQuote: bigint, quotePrecision: bigint): number =>
  Math.log1p(Number(volumeQuote) / Number(quotePrecision));

/** Effective spread in bps: the premium paid over the oracle per unit of volume (null without volume). */
export const spreadBps = (premiumQuote: bigint, volumeQuote: bigint): number | null =>
  volumeQuote > 0n ? (Number(premiumQuote) / Number(volumeQuote)) * 10_000 : null;
/** Basis (mark TWAP against oracle TWAP) beyond which MIKEY speaks, in basis points. */
export const BASIS_BPS = 50;
/** Our oracle against the outside venues' reference price: beyond this (bps) MIKEY speaks. */
export const OUTSIDE_BASIS_BPS = 100;
/** Long share of open interest beyond which one side is crowded (and its mirror for shorts). */
export const CROWDED_SHARE = 0.7;
/** Open interest and price changes over the quadrant's window below which nothing is said. */
export const QUADRANT_MIN_OI_CHANGE = 0.05;
export const QUADRANT_MIN_PRICE_CHANGE = 0.005;
/** Width of a liquidation map bucket, in basis points of the price. */
export const MAP_BUCKET_BPS = 50n;
/** The map looks this far either side of the price (bps), and a bucket holding this share of open interest is a cluster. */
export const MAP_RANGE_BPS = 1_000n;
export const CLUSTER_SHARE = 0.1;

/** A funding rate per hour (FUNDING_RATE_PRECISION) as a yearly rate: rate x 24 x 365 (a fraction, e.g. 0.11 = 11 %). */
export function fundingApr(ratePerHour: bigint, precision: bigint): number {
  return (Number(ratePerHour) / Number(precision)) * HOURS_PER_YEAR;
}

/** (mark - oracle) / oracle in basis points. */
export function basisBps(mark: bigint, oracle: bigint): number | null {
  return oracle > 0n ? (Number(mark - oracle) / Number(oracle)) * 10_000 : null;
}

/** Long share of the open interest (null without any). */
export function longShare(longOi: bigint, shortOi: bigint): number | null {
  const total = longOi + shortOi;
  return total > 0n ? Number(longOi) / Number(total) : null;
}

export type Quadrant = 'new-longs' | 'new-shorts' | 'short-covering' | 'deleveraging';

/**
 * The open interest / price quadrant of a change: price and open interest up, new longs; price down and
 * open interest up, new shorts; price up and open interest down, shorts covering; both down, longs
 * deleveraging. Null when either change is below its threshold.
 */
export function quadrantOf(priceChange: number, oiChange: number): Quadrant | null {
  if (Math.abs(priceChange) < QUADRANT_MIN_PRICE_CHANGE || Math.abs(oiChange) < QUADRANT_MIN_OI_CHANGE) return null;
  if (oiChange > 0) return priceChange > 0 ? 'new-longs' : 'new-shorts';
  return priceChange > 0 ? 'short-covering' : 'deleveraging';
}

/** One bucket of a liquidation map: base that liquidates at a price in [from, to), by side. */
export interface MapBucket {
  from: bigint;
  to: bigint;
  long: bigint;
  short: bigint;
}

/**
 * The liquidation map: every level (an account's exact liquidation price and the base liquidated there)
 * within MAP_RANGE_BPS of `price`, summed in buckets of MAP_BUCKET_BPS of the price; buckets in price order.
 */
export function liquidationMap(
  levels: readonly { side: 'long' | 'short'; price: bigint; base: bigint }[],
  price: bigint,
): MapBucket[] {
  const width = (price * MAP_BUCKET_BPS) / 10_000n;
  if (width <= 0n) return [];
  const low = price - (price * MAP_RANGE_BPS) / 10_000n;
  const high = price + (price * MAP_RANGE_BPS) / 10_000n;
  const buckets = new Map<bigint, MapBucket>();
  for (const l of levels) {
    if (l.price <= 0n || l.price < low || l.price >= high || l.base === 0n) continue;
    const k = (l.price - low) / width;
    let b = buckets.get(k);
    if (!b) buckets.set(k, (b = { from: low + k * width, to: low + (k + 1n) * width, long: 0n, short: 0n }));
    b[l.side] += l.base;
  }
  return [...buckets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, b]) => b);
}
