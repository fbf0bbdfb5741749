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
 * standard deviation. Null when the window is too short or flat.
 */
export function robustZ(x: number, window: readonly number[]): number | null {
  if (window.length < 10) return null;
  const m = median(window);
  const mad = median(window.map((v) => Math.abs(v - m))) * 1.4826;
  return mad > 0 ? (x - m) / mad : null;
}

/** Whether the liquidation times (ms) hold a cascade ending at `nowMs`: CASCADE_COUNT within the window. */
export function cascadeAt(liquidationTimes: readonly number[], nowMs: number): number {
  return liquidationTimes.filter((t) => t > nowMs - CASCADE_WINDOW_MS && t <= nowMs).length;
}
