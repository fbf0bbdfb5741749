import { abs, BPS_PRECISION } from './fixed-point';
import type { MarketParams } from './market';

export interface OracleReading {
  price: bigint; // PRICE_PRECISION
  confidence: bigint; // PRICE_PRECISION
  publishSlot: bigint;
}

export type OracleVerdict = 'ok' | 'stale' | 'low-confidence' | 'non-positive' | 'twap-deviation';

/**
 * Guards before any risk-increasing action: a price older than N slots, a confidence interval wider than
 * a share of the price, or a price far from its TWAP (which pauses the market) are all refused.
 */
export function checkOracle(
  params: MarketParams,
  reading: OracleReading,
  currentSlot: bigint,
  twap: bigint,
): OracleVerdict {
  if (reading.price <= 0n) return 'non-positive';
  if (currentSlot > reading.publishSlot && currentSlot - reading.publishSlot > params.oracleMaxStaleSlots)
    return 'stale';
  if (reading.confidence * BPS_PRECISION > reading.price * params.oracleMaxConfidenceBps) return 'low-confidence';
  if (twap > 0n && abs(reading.price - twap) * BPS_PRECISION > twap * params.oracleMaxTwapDeviationBps)
    return 'twap-deviation';
  return 'ok';
}

/**
 * A Pyth component (price or confidence, scaled by 10^exponent) in PRICE_PRECISION (expo -6): prices
 * round down, confidence intervals up (the program's controller/oracle.rs does the same).
 */
export function toPricePrecision(component: bigint, exponent: number, round: 'down' | 'up'): bigint {
  const shift = exponent + 6;
  if (shift >= 0) return component * 10n ** BigInt(shift);
  const k = 10n ** BigInt(-shift);
  const q = component / k;
  const exact = component % k === 0n;
  if (exact) return q;
  if (round === 'down') return component < 0n ? q - 1n : q;
  return component > 0n ? q + 1n : q;
}
