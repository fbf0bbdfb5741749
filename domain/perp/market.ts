import marketsFile from './markets.json';

/** Per-market risk and fee parameters (ARCHITECTURE §4). Ratios are in basis points (BPS_PRECISION). */
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
  /**
   * Cumulative funding paid per whole base unit, FUNDING_INDEX_PRECISION quote, by longs and by shorts
   * (a short pays when its index falls). Funding moves both alike; a loss socialized over one side moves
   * only that side's index, so only that side pays it (Drift's cumulative_funding_rate_long/short).
   */
  cumulativeFundingIndexLong: bigint;
  cumulativeFundingIndexShort: bigint;
}

/** The index a position of `base` settles against: its side's. */
export const fundingIndexFor = (
  market: Pick<MarketState, 'cumulativeFundingIndexLong' | 'cumulativeFundingIndexShort'>,
  base: bigint,
): bigint => (base < 0n ? market.cumulativeFundingIndexShort : market.cumulativeFundingIndexLong);

interface MarketsFile {
  markets: {
    marketIndex: number;
    symbol: string;
    initialPriceE6: string;
    imfBpsPerSqrtUnit: string;
    skewScaleBase: string;
    maxOpenInterestBase: string;
  }[];
  majors: Record<string, string>;
}

const file = marketsFile as MarketsFile;
const majors = Object.fromEntries(Object.entries(file.majors).map(([k, v]) => [k, BigInt(v)])) as Pick<
  MarketParams,
  | 'initialMarginBps'
  | 'maintenanceMarginBps'
  | 'takerFeeBps'
  | 'makerRebateBps'
  | 'liquidationFeeBps'
  | 'maxLiquidationFractionBps'
  | 'liquidationBufferBps'
  | 'fundingRateCap'
  | 'oracleMaxStaleSlots'
  | 'oracleMaxConfidenceBps'
  | 'oracleMaxTwapDeviationBps'
>;

/** The listed markets (domain/perp/markets.json, shared with the localnet's bootstrap). */
export const DEFAULT_MARKETS: readonly MarketParams[] = file.markets.map((m) => ({
  ...majors,
  marketIndex: m.marketIndex,
  symbol: m.symbol,
  imfBpsPerSqrtUnit: BigInt(m.imfBpsPerSqrtUnit),
  skewScaleBase: BigInt(m.skewScaleBase),
  maxOpenInterestBase: BigInt(m.maxOpenInterestBase),
}));

/** Price each market starts at on a fresh localnet, PRICE_PRECISION. */
export const INITIAL_PRICES: ReadonlyMap<number, bigint> = new Map(
  file.markets.map((m) => [m.marketIndex, BigInt(m.initialPriceE6)]),
);
