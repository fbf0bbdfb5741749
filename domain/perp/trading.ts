import {
  abs,
  BPS_PRECISION,
  checked,
  divCeil,
  divFloor,
  mulDivCeil,
  mulDivFloor,
  notionalCeil,
  quoteValueCeil,
  quoteValueFloor,
  sign,
} from './fixed-point';
import type { MarketParams, MarketState } from './market';
import { checkOracle, type OracleReading, type OracleVerdict } from './oracle';

/** A perp position: signed base size, signed cost basis in quote, and the funding index last settled. */
export interface Position {
  marketIndex: number;
  base: bigint; // BASE, > 0 long, < 0 short
  quoteEntry: bigint; // QUOTE paid (long, > 0) or received (short, < 0) to open what is held
  lastFundingIndex: bigint;
}

export const emptyPosition = (marketIndex: number, fundingIndex: bigint): Position => ({
  marketIndex,
  base: 0n,
  quoteEntry: 0n,
  lastFundingIndex: fundingIndex,
});

export const skewOf = (market: MarketState): bigint => market.longOpenInterest - market.shortOpenInterest;

/**
 * Fill price with skew-based impact (after Synthetix perps v2): the oracle moved by the average skew over
 * the trade divided by the skew scale, so a trade growing the skew pays a premium and one shrinking it
 * gets a discount. Buyers are rounded up, sellers down.
 */
export function fillPrice(oraclePrice: bigint, skewBase: bigint, deltaBase: bigint, skewScaleBase: bigint): bigint {
  const numerator = checked(oraclePrice * (2n * skewBase + deltaBase), 'fillPrice');
  const denominator = 2n * skewScaleBase;
  const premium = deltaBase > 0n ? divCeil(numerator, denominator) : divFloor(numerator, denominator);
  const price = oraclePrice + premium;
  return price > 1n ? price : 1n;
}

/** Taker fee on a fill's notional, rounded up. */
export const takerFee = (params: MarketParams, deltaBase: bigint, price: bigint): bigint =>
  mulDivCeil(notionalCeil(deltaBase, price), params.takerFeeBps, BPS_PRECISION);

/** Maker rebate, rounded down. */
export const makerRebate = (params: MarketParams, deltaBase: bigint, price: bigint): bigint =>
  mulDivFloor(notionalCeil(deltaBase, price), params.makerRebateBps, BPS_PRECISION);

export interface FillOutcome {
  position: Position;
  /** PnL realized by the reducing part of the fill (credited to collateral, debited from the PnL pool). */
  realizedPnl: bigint;
  /** Change of long and short open interest caused by the fill. */
  longOpenInterestDelta: bigint;
  shortOpenInterestDelta: bigint;
}

/**
 * Applies a fill of deltaBase at price. The reducing part realizes PnL against a pro-rata share of the
 * cost basis rounded up (less PnL to the user); the opening part adds its cost rounded up.
 */
export function applyFill(position: Position, deltaBase: bigint, price: bigint): FillOutcome {
  if (deltaBase === 0n) throw new RangeError('a fill needs a non-zero size');
  let { base, quoteEntry } = position;
  let realizedPnl = 0n;
  const reducing = base !== 0n && sign(base) !== sign(deltaBase);
  let opening = deltaBase;
  if (reducing) {
    const closed = abs(deltaBase) >= abs(base) ? -base : deltaBase; // signed like deltaBase
    const entryShare = mulDivCeil(quoteEntry, -closed, base);
    // Closing -closed of the position is receiving (or paying) its value at the fill price.
    realizedPnl = quoteValueFloor(-closed, price) - entryShare;
    base += closed;
    quoteEntry -= entryShare;
    opening = deltaBase - closed;
  }
  if (opening !== 0n) {
    base += opening;
    quoteEntry += quoteValueCeil(opening, price);
  }
  const before = position.base;
  const after = base;
  return {
    position: { ...position, base, quoteEntry },
    realizedPnl,
    longOpenInterestDelta: positivePart(after) - positivePart(before),
    shortOpenInterestDelta: positivePart(-after) - positivePart(-before),
  };
}

const positivePart = (x: bigint): bigint => (x > 0n ? x : 0n);

/** Unrealized PnL at a price: value rounded down minus cost basis. */
export const unrealizedPnl = (position: Position, price: bigint): bigint =>
  quoteValueFloor(position.base, price) - position.quoteEntry;

/** Why the program refuses a fill before margin (the program's error names). */
export type FillRefusal =
  | 'ReduceOnlyViolated'
  | 'MarketPaused'
  | 'OracleStale'
  | 'OracleLowConfidence'
  | 'OracleNonPositive'
  | 'OracleTwapDeviation'
  | 'SlippageExceeded'
  | 'MaxOpenInterest';

const ORACLE_REFUSALS: Record<Exclude<OracleVerdict, 'ok'>, FillRefusal> = {
  stale: 'OracleStale',
  'low-confidence': 'OracleLowConfidence',
  'non-positive': 'OracleNonPositive',
  'twap-deviation': 'OracleTwapDeviation',
};

/** The market as a fill sees it: open interest, its cap, and the oracle TWAP before this fill moves it. */
export interface FillMarket {
  longOpenInterest: bigint;
  shortOpenInterest: bigint;
  maxOpenInterest: bigint;
  oracleTwap: bigint;
  /** A paused market takes no fill that adds risk (closing at a reliable price goes on). */
  paused: boolean;
}

/** What a fill's checks decided: the size after the reduce-only clamp, whether it adds risk, price and fee. */
export interface FillPlan {
  delta: bigint;
  riskIncreasing: boolean;
  price: bigint;
  fee: bigint;
}

/**
 * The pre-trade rule of one fill, in the program's order (math/trading.rs `plan_fill` is the same, the
 * shared vectors prove it): a reduce-only order is clamped to the position and refused if it would not
 * reduce; a fill adds risk when the position grows or flips, which a paused market refuses; every fill needs a fresh, positive, confident
 * price, and adding risk also needs it near its TWAP (the TWAP before this fill); the skewed fill price
 * must respect the order's limit; adding risk must keep both sides' open interest within the cap. Margin
 * after the fill is checked on the whole account (margin.ts).
 */
export function planFill(
  params: MarketParams,
  market: FillMarket,
  oracle: OracleReading,
  slot: bigint,
  positionBase: bigint,
  orderBase: bigint,
  limitPrice: bigint,
  reduceOnly: boolean,
): { ok: true; plan: FillPlan } | { ok: false; refusal: FillRefusal } {
  const before = positionBase;
  let delta = orderBase;
  if (reduceOnly) {
    if (before === 0n || sign(before) === sign(delta)) return { ok: false, refusal: 'ReduceOnlyViolated' };
    delta = sign(delta) * (abs(delta) < abs(before) ? abs(delta) : abs(before));
  }
  const after = before + delta;
  const riskIncreasing = abs(after) > abs(before) || sign(after) * sign(before) < 0n;
  if (market.paused && riskIncreasing) return { ok: false, refusal: 'MarketPaused' };
  const verdict = checkOracle(params, oracle, slot, market.oracleTwap);
  if (verdict !== 'ok' && !(verdict === 'twap-deviation' && !riskIncreasing))
    return { ok: false, refusal: ORACLE_REFUSALS[verdict] };
  const price = fillPrice(
    oracle.price,
    market.longOpenInterest - market.shortOpenInterest,
    delta,
    params.skewScaleBase,
  );
  if (delta > 0n ? price > limitPrice : price < limitPrice) return { ok: false, refusal: 'SlippageExceeded' };
  const fee = takerFee(params, delta, price);
  if (riskIncreasing) {
    const long = market.longOpenInterest + positivePart(after) - positivePart(before);
    const short = market.shortOpenInterest + positivePart(-after) - positivePart(-before);
    if ((long > short ? long : short) > market.maxOpenInterest) return { ok: false, refusal: 'MaxOpenInterest' };
  }
  return { ok: true, plan: { delta, riskIncreasing, price, fee } };
}

/**
 * What settling `claim` with the PnL pool pays (math/trading.rs `pool_payout`): `claim` is what the pool
 * owes the account (its unsettled PnL plus this settlement; < 0: what the account owes the pool). A debt is
 * paid in full; a claim only up to the pool's positive balance, the rest stays unsettled on the account
 * (paid as the pool refills, never withdrawable before), so winners are never paid from deposits.
 */
export function poolPayout(claim: bigint, pool: bigint): { paid: bigint; left: bigint } {
  if (claim <= 0n) return { paid: claim, left: 0n };
  const paid = claim < pool ? claim : pool > 0n ? pool : 0n;
  return { paid, left: claim - paid };
}
