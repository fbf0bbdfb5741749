import {
  abs,
  BASE_PRECISION,
  BASE_TO_QUOTE,
  BPS_PRECISION,
  divCeil,
  divFloor,
  isqrt,
  max,
  mulDivCeil,
  notionalCeil,
  quoteValueFloor,
} from './fixed-point';
import type { MarketParams } from './market';
import { fundingOwed } from './funding';
import { applyFill, takerFee, unrealizedPnl, type FillOutcome, type Position } from './trading';

/** What margin math needs per position: its market's parameters, a price and the current funding index. */
export interface PricedPosition {
  position: Position;
  params: MarketParams;
  price: bigint;
  fundingIndex: bigint;
}

export interface Account {
  collateral: bigint; // QUOTE, signed (negative only while bankrupt)
  positions: PricedPosition[];
}

/**
 * Initial margin ratio with a size-based factor (Drift: imr = max(base, imf * sqrt(size))), rounded up.
 * The size term grows with sqrt(whole base units), so large positions need proportionally more margin.
 */
export function initialMarginRatioBps(params: MarketParams, base: bigint): bigint {
  const sqrtUnitsScaled = isqrt(abs(base) * BASE_PRECISION); // sqrt(units) * 1e9
  const sizeBps = divCeil(params.imfBpsPerSqrtUnit * sqrtUnitsScaled, BASE_PRECISION);
  return max(params.initialMarginBps, sizeBps);
}

/** Maintenance ratio: the base ratio, or the size term scaled by maintenance/initial when it is larger. */
export function maintenanceMarginRatioBps(params: MarketParams, base: bigint): bigint {
  const sizeBps = divCeil(initialMarginRatioBps(params, base) * params.maintenanceMarginBps, params.initialMarginBps);
  return max(params.maintenanceMarginBps, sizeBps);
}

export type MarginKind = 'initial' | 'maintenance';

/** Requirement of one position, rounded up. */
export function positionRequirement(p: PricedPosition, kind: MarginKind): bigint {
  const ratio =
    kind === 'initial'
      ? initialMarginRatioBps(p.params, p.position.base)
      : maintenanceMarginRatioBps(p.params, p.position.base);
  return mulDivCeil(notionalCeil(p.position.base, p.price), ratio, BPS_PRECISION);
}

export const marginRequirement = (account: Account, kind: MarginKind): bigint =>
  account.positions.reduce((sum, p) => sum + positionRequirement(p, kind), 0n);

/** Equity: collateral plus unrealized PnL minus funding owed but not yet settled. */
export const equity = (account: Account): bigint =>
  account.positions.reduce(
    (sum, p) =>
      sum +
      unrealizedPnl(p.position, p.price) -
      fundingOwed(p.position.base, p.position.lastFundingIndex, p.fundingIndex),
    account.collateral,
  );

/** Collateral free to open risk or withdraw: equity above the initial requirement, never negative. */
export function freeCollateral(account: Account): bigint {
  const free = equity(account) - marginRequirement(account, 'initial');
  return free > 0n ? free : 0n;
}

export const isBelowMaintenance = (account: Account): boolean =>
  equity(account) < marginRequirement(account, 'maintenance');

/** Leverage in bps (10_000 = 1x): total notional over equity; null when equity is not positive. */
export function leverageBps(account: Account): bigint | null {
  const e = equity(account);
  if (e <= 0n) return null;
  const notional = account.positions.reduce((sum, p) => sum + notionalCeil(p.position.base, p.price), 0n);
  return divCeil(notional * BPS_PRECISION, e);
}

/**
 * The price of position `index` at which the account reaches maintenance, others held at their prices
 * and the ratio held at its current size. Solves E + b*(p - p0) = m*|b|*p; rounded toward the current
 * price (a long's is rounded up, a short's down). Null when no positive price liquidates it.
 */
export function liquidationPrice(account: Account, index: number): bigint | null {
  const target = account.positions[index];
  if (!target || target.position.base === 0n) return null;
  const b = target.position.base;
  const m = maintenanceMarginRatioBps(target.params, b);
  const others = account.positions.filter((_, i) => i !== index);
  const otherReq = others.reduce((sum, p) => sum + positionRequirement(p, 'maintenance'), 0n);
  // Equity without this position's price-dependent value: E0 = equity - value(b at p0).
  const e0 = equity(account) - quoteValueFloor(b, target.price) - otherReq;
  // Solve e0 + b*p/B2Q = m*|b|*p/(B2Q*BPS)  =>  p = -e0 * B2Q * BPS / (b*BPS - m*|b|).
  const denominator = b * BPS_PRECISION - m * abs(b);
  if (denominator === 0n) return null;
  const numerator = -e0 * BASE_TO_QUOTE * BPS_PRECISION;
  const price = b > 0n ? divCeil(numerator, denominator) : divFloor(numerator, denominator);
  return price > 0n ? price : null;
}

/**
 * The account after `delta` fills at `price` on `target` (one of its positions, or a new one): the realized
 * PnL credited as far as `credit` says (the PnL pool's payout; all of it by default), the fee charged, the
 * position valued at `mark` afterwards and dropped once flat. The rule the pre-trade check, the order size
 * search and the program (controller/position.rs execute_fill) share.
 */
export function accountAfterFill(
  account: Account,
  target: PricedPosition,
  fill: { delta: bigint; price: bigint; fee: bigint; mark: bigint },
  credit: (realizedPnl: bigint) => bigint = (pnl) => pnl,
): { after: Account; outcome: FillOutcome } {
  const outcome = applyFill(target.position, fill.delta, fill.price);
  const others = account.positions.filter((p) => p !== target);
  const after: Account = {
    collateral: account.collateral + credit(outcome.realizedPnl) - fill.fee,
    positions:
      outcome.position.base === 0n ? others : [...others, { ...target, position: outcome.position, price: fill.mark }],
  };
  return { after, outcome };
}

/**
 * Largest size (BASE, positive) that can be added in `direction` (+1 buy, -1 sell) to position `index`
 * filled at `price` (also used as its mark) while the account still meets its initial requirement after
 * the taker fee. Binary search over multiples of `stepBase`, so both implementations agree exactly.
 */
export function maxOrderSize(
  account: Account,
  index: number,
  direction: 1n | -1n,
  price: bigint,
  stepBase: bigint,
): bigint {
  const target = account.positions[index];
  if (!target) throw new RangeError(`no position at index ${index}`);
  const fits = (size: bigint): boolean => {
    const delta = direction * size;
    const fee = takerFee(target.params, delta, price);
    const { after } = accountAfterFill(account, target, { delta, price, fee, mark: price });
    return equity(after) >= marginRequirement(after, 'initial');
  };
  if (!fits(stepBase)) return 0n;
  let lo = 1n;
  let hi = 2n;
  while (hi < MAX_SEARCH_STEPS && fits(hi * stepBase)) {
    lo = hi;
    hi <<= 1n;
  }
  while (hi - lo > 1n) {
    const mid = (lo + hi) >> 1n;
    if (fits(mid * stepBase)) lo = mid;
    else hi = mid;
  }
  return lo * stepBase;
}

const MAX_SEARCH_STEPS = 1n << 48n;
