/**
 * Integer fixed point. Every amount is a bigint scaled by a named precision; nothing is ever a float.
 * Rounding is explicit at each division and always chosen against the user (see each caller).
 * Mirrored by programs/quantdesk-perp/src/math/fixed_point.rs.
 */
export const PRICE_PRECISION = 1_000_000n; // expo -6: USD per whole base unit
export const BASE_PRECISION = 1_000_000_000n; // expo -9: base asset amount
export const QUOTE_PRECISION = 1_000_000n; // expo -6: USDC
export const FUNDING_RATE_PRECISION = 1_000_000_000n; // expo -9: rate per hour
export const BPS_PRECISION = 10_000n; // 1 = 0.01 %
/** A funding index is quote (1e6) per whole base unit, scaled by FUNDING_RATE_PRECISION. */
export const FUNDING_INDEX_PRECISION = FUNDING_RATE_PRECISION;
/** base (1e9) * price (1e6) / BASE_TO_QUOTE = quote (1e6). */
export const BASE_TO_QUOTE = (BASE_PRECISION * PRICE_PRECISION) / QUOTE_PRECISION;

/** The largest magnitude any intermediate may take: i128 on the program side. */
export const I128_MAX = (1n << 127n) - 1n;

export class MathOverflowError extends Error {
  constructor(what: string) {
    super(`math overflow in ${what}`);
    this.name = 'MathOverflowError';
  }
}

export function checked(value: bigint, what: string): bigint {
  if (value > I128_MAX || value < -I128_MAX) throw new MathOverflowError(what);
  return value;
}

export const abs = (x: bigint): bigint => (x < 0n ? -x : x);
export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const clamp = (x: bigint, lo: bigint, hi: bigint): bigint => min(max(x, lo), hi);
export const sign = (x: bigint): bigint => (x > 0n ? 1n : x < 0n ? -1n : 0n);

/** Division rounding toward negative infinity (bigint `/` truncates toward zero). */
export function divFloor(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError('division by zero');
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Division rounding toward positive infinity. */
export function divCeil(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError('division by zero');
  const q = a / b;
  return a % b !== 0n && a < 0n === b < 0n ? q + 1n : q;
}

export const mulDivFloor = (a: bigint, b: bigint, d: bigint): bigint => divFloor(checked(a * b, 'mulDivFloor'), d);
export const mulDivCeil = (a: bigint, b: bigint, d: bigint): bigint => divCeil(checked(a * b, 'mulDivCeil'), d);

/** Integer square root, floor(sqrt(n)), for n >= 0 (Newton's method, exact). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('square root of a negative number');
  if (n < 2n) return n;
  let x = n;
  let y = (x + 1n) >> 1n;
  while (y < x) {
    x = y;
    y = (x + n / x) >> 1n;
  }
  return x;
}

/** Signed quote value of a base amount at a price, rounded down (never in the holder's favour). */
export const quoteValueFloor = (base: bigint, price: bigint): bigint => mulDivFloor(base, price, BASE_TO_QUOTE);
/** Signed quote value rounded up: what a payer is charged. */
export const quoteValueCeil = (base: bigint, price: bigint): bigint => mulDivCeil(base, price, BASE_TO_QUOTE);
/** Unsigned notional, rounded up: what requirements and fees are computed on. */
export const notionalCeil = (base: bigint, price: bigint): bigint => mulDivCeil(abs(base), price, BASE_TO_QUOTE);
