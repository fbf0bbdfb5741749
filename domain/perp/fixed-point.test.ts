import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { divCeil, divFloor, isqrt, MathOverflowError, mulDivFloor, I128_MAX } from './fixed-point';

const big = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n });
const nonZero = big.filter((b) => b !== 0n);

describe('fixed point', () => {
  it('divFloor and divCeil bracket the exact quotient within one unit', () => {
    fc.assert(
      fc.property(big, nonZero, (a, b) => {
        const lo = divFloor(a, b);
        const hi = divCeil(a, b);
        // lo <= a/b <= hi, compared exactly by cross-multiplying with the divisor's sign.
        const s = b > 0n ? 1n : -1n;
        expect(lo * b * s <= a * s).toBe(true);
        expect(hi * b * s >= a * s).toBe(true);
        expect(hi - lo).toBe(a % b === 0n ? 0n : 1n);
      }),
    );
  });

  it('isqrt is the floor square root', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 36n }), (n) => {
        const r = isqrt(n);
        expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
      }),
    );
  });

  it('refuses intermediates beyond i128, as the program would', () => {
    expect(() => mulDivFloor(I128_MAX, 2n, 1n)).toThrow(MathOverflowError);
    expect(() => divFloor(1n, 0n)).toThrow(RangeError);
  });
});
