import { abs, BASE_TO_QUOTE, BPS_PRECISION, divCeil, max, min, mulDivCeil, notionalCeil } from './fixed-point';
import {
  equity,
  isBelowMaintenance,
  maintenanceMarginRatioBps,
  marginRequirement,
  positionRequirement,
  type Account,
} from './margin';

/**
 * The most of a position step `step` of a liquidation episode may close, in basis points: the market's
 * fraction (half, for the listed markets) at the first step, doubling with each further step of the same
 * episode, at most all of it. Drift ramps the liquidatable fraction with the time since the episode
 * began; ramping it with the episode's steps does the same with no clock. Each step still closes only
 * what restores maintenance plus the buffer. Measured on the crash benchmark (README): a fixed quarter
 * took up to 21 steps per episode while the price kept falling, and accounts stayed under water 8 s at
 * p99; a quarter doubling per step, 3 steps and 2.4-2.9 s; a half doubling, 2 steps and 1.7 s.
 */
export function liquidationFractionBps(params: { maxLiquidationFractionBps: bigint }, step: number): bigint {
  const doubled = params.maxLiquidationFractionBps << BigInt(Math.min(Math.max(step, 0), 16));
  return doubled < BPS_PRECISION ? doubled : BPS_PRECISION;
}

/**
 * Base amount (positive) of position `index` to close at `price` in step `step` of a liquidation episode:
 * just enough for equity after the fee to cover the maintenance requirement plus the buffer, and at most
 * the step's fraction of the position (liquidationFractionBps; Drift's partial liquidation). 0 when the
 * account is healthy.
 *   E - f*cN >= R_other + t*(N - cN)  =>  cN >= (R_other + t*N - E) / (t - f),  t = m + buffer
 * An account that closing the whole position would not restore is beyond a partial rescue: the whole
 * position closes in this step (capped steps of a shrinking remainder would take dozens of transactions
 * while the price keeps moving, and every one of them adds to the loss the insurance fund covers).
 */
export function liquidationSize(account: Account, index: number, step: number): bigint {
  const target = account.positions[index];
  if (!target || target.position.base === 0n || !isBelowMaintenance(account)) return 0n;
  const { params, price } = target;
  const size = abs(target.position.base);
  const maxStep = divCeil(size * liquidationFractionBps(params, step), BPS_PRECISION);
  const t = maintenanceMarginRatioBps(params, target.position.base) + params.liquidationBufferBps;
  const f = params.liquidationFeeBps;
  if (t <= f) return min(size, maxStep);
  const otherReq = marginRequirement(account, 'maintenance') - positionRequirement(target, 'maintenance');
  const notional = notionalCeil(target.position.base, price);
  const shortfall = otherReq * BPS_PRECISION + t * notional - equity(account) * BPS_PRECISION;
  const closeNotional = divCeil(max(shortfall, 0n), t - f);
  const closeBase = divCeil(closeNotional * BASE_TO_QUOTE, price);
  if (closeBase >= size) return size;
  return min(closeBase, maxStep);
}

/** Liquidation fee on the closed notional, rounded up and never more than the equity left. */
export function liquidationFee(account: Account, index: number, closeBase: bigint): bigint {
  const target = account.positions[index];
  if (!target) throw new RangeError(`no position at index ${index}`);
  const fee = mulDivCeil(notionalCeil(closeBase, target.price), target.params.liquidationFeeBps, BPS_PRECISION);
  return min(fee, max(equity(account), 0n));
}

export interface BankruptcyResolution {
  insurancePaid: bigint;
  socializedLoss: bigint;
}

/** A negative balance after every position is closed: the insurance fund covers what it can, the rest is socialized. */
export function resolveBankruptcy(collateral: bigint, insuranceFund: bigint): BankruptcyResolution {
  if (collateral >= 0n) return { insurancePaid: 0n, socializedLoss: 0n };
  const deficit = -collateral;
  const insurancePaid = min(deficit, max(insuranceFund, 0n));
  return { insurancePaid, socializedLoss: deficit - insurancePaid };
}
