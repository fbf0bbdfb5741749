import {
  BASE_PRECISION,
  clamp,
  divCeil,
  divFloor,
  FUNDING_INDEX_PRECISION,
  FUNDING_RATE_PRECISION,
  mulDivCeil,
} from './fixed-point';

/** Funding periods per day: the premium is a daily figure paid hourly (Drift's funding period). */
export const FUNDING_PERIODS_PER_DAY = 24n;
/** base (1e9) * index (quote 1e6 per unit * 1e9) / INDEX_TO_QUOTE = quote (1e6). */
const INDEX_TO_QUOTE = BASE_PRECISION * FUNDING_INDEX_PRECISION;

/**
 * Hourly funding rate (Drift): (TWAP(mark) - TWAP(oracle)) / TWAP(oracle) / 24, capped at +-cap, in
 * FUNDING_RATE_PRECISION, truncated toward zero. Positive: longs pay shorts.
 */
export function fundingRate(markTwap: bigint, oracleTwap: bigint, cap: bigint): bigint {
  if (oracleTwap <= 0n) throw new RangeError('oracle TWAP must be positive');
  const rate = ((markTwap - oracleTwap) * FUNDING_RATE_PRECISION) / (oracleTwap * FUNDING_PERIODS_PER_DAY);
  return clamp(rate, -cap, cap);
}

/** Increase of the cumulative index for one period: the rate times the oracle price (exact). */
export const fundingIndexDelta = (rate: bigint, oraclePrice: bigint): bigint => rate * oraclePrice;

/**
 * Funding a position owes since it last settled (positive: it pays; negative: it receives), in QUOTE.
 * Rounded up, so a payer pays the extra unit and a receiver gets one less; the difference stays with
 * the protocol's PnL pool.
 */
export const fundingOwed = (base: bigint, lastIndex: bigint, currentIndex: bigint): bigint =>
  mulDivCeil(base, currentIndex - lastIndex, INDEX_TO_QUOTE);

/**
 * Index change that spreads a socialized loss over the open interest of the side that absorbs it:
 * charged to longs (index up) or to shorts (index down), rounded up so the absorbed total covers it.
 */
export function socializedLossIndexDelta(
  loss: bigint,
  payingOpenInterest: bigint,
  payingSide: 'long' | 'short',
): bigint {
  if (loss <= 0n || payingOpenInterest <= 0n) return 0n;
  const perUnit = divCeil(loss * INDEX_TO_QUOTE, payingOpenInterest);
  return payingSide === 'long' ? perUnit : -perUnit;
}

/**
 * Time-weighted average over a window (Drift's calculate_new_twap): the new sample weighs the elapsed
 * time (capped at the window), the old average the rest; floored. An empty average takes the sample.
 */
export function updateTwap(twap: bigint, sample: bigint, elapsedSecs: bigint, windowSecs: bigint): bigint {
  if (twap <= 0n || windowSecs <= 0n) return sample;
  const elapsed = elapsedSecs < 0n ? 0n : elapsedSecs > windowSecs ? windowSecs : elapsedSecs;
  return divFloor(twap * (windowSecs - elapsed) + sample * elapsed, windowSecs);
}
