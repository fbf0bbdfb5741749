import { BASE_PRECISION, FUNDING_RATE_PRECISION } from './fixed-point';

/** Per-market risk and fee parameters (DESIGN §4). Ratios are in basis points (BPS_PRECISION). */
export interface MarketParams {
  marketIndex: number;
  symbol: string;
  initialMarginBps: bigint;
  maintenanceMarginBps: bigint;
  /** Size-based initial margin (Drift's imf): extra bps per sqrt(whole base units) of position. */
  imfBpsPerSqrtUnit: bigint;
  takerFeeBps: bigint;
  makerRebateBps: bigint;
  liquidationFeeBps: bigint;
  /** At most this share of a position is closed per liquidation step. */
  maxLiquidationFractionBps: bigint;
  /** A liquidation restores margin to maintenance plus this buffer. */
  liquidationBufferBps: bigint;
  /** Skew (long OI - short OI, BASE) at which price impact reaches 100 %: larger is deeper. */
  skewScaleBase: bigint;
  /** Cap of |funding rate| per hour, FUNDING_RATE_PRECISION (0.125 %/h = 1_250_000). */
  fundingRateCap: bigint;
  maxOpenInterestBase: bigint;
  oracleMaxStaleSlots: bigint;
  oracleMaxConfidenceBps: bigint;
  /** Oracle deviating more than this from its 5-minute TWAP pauses the market. */
  oracleMaxTwapDeviationBps: bigint;
}

/** On-chain market state that the math reads. */
export interface MarketState {
  longOpenInterest: bigint; // BASE, >= 0
  shortOpenInterest: bigint; // BASE, >= 0
  /** Cumulative funding paid per whole base unit by longs, FUNDING_INDEX_PRECISION quote. */
  cumulativeFundingIndex: bigint;
}

const majors = {
  initialMarginBps: 500n,
  maintenanceMarginBps: 300n,
  takerFeeBps: 5n,
  makerRebateBps: 1n,
  liquidationFeeBps: 100n,
  maxLiquidationFractionBps: 2_500n,
  liquidationBufferBps: 50n,
  fundingRateCap: (FUNDING_RATE_PRECISION * 125n) / 100_000n, // 0.125 % per hour
  oracleMaxStaleSlots: 25n,
  oracleMaxConfidenceBps: 200n,
  oracleMaxTwapDeviationBps: 1_000n,
};

export const DEFAULT_MARKETS: readonly MarketParams[] = [
  { ...majors, marketIndex: 0, symbol: 'SOL-PERP', imfBpsPerSqrtUnit: 1n, skewScaleBase: 2_000_000n * BASE_PRECISION, maxOpenInterestBase: 500_000n * BASE_PRECISION },
  { ...majors, marketIndex: 1, symbol: 'BTC-PERP', imfBpsPerSqrtUnit: 40n, skewScaleBase: 5_000n * BASE_PRECISION, maxOpenInterestBase: 1_000n * BASE_PRECISION },
  { ...majors, marketIndex: 2, symbol: 'ETH-PERP', imfBpsPerSqrtUnit: 12n, skewScaleBase: 100_000n * BASE_PRECISION, maxOpenInterestBase: 20_000n * BASE_PRECISION },
];
