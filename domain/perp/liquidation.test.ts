import { describe, expect, it } from 'vitest';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from './fixed-point';
import { liquidationFractionBps, liquidationSize } from './liquidation';
import { DEFAULT_MARKETS } from './market';
import type { Account } from './margin';

const sol = DEFAULT_MARKETS[0]!;
const long = (collateral: bigint, price: bigint): Account => ({
  collateral,
  positions: [
    {
      position: {
        marketIndex: 0,
        base: 10n * BASE_PRECISION,
        quoteEntry: 1_500n * QUOTE_PRECISION,
        lastFundingIndex: 0n,
      },
      params: sol,
      price,
      fundingIndex: 0n,
    },
  ],
});

describe('liquidationSize', () => {
  it('closes at most the market fraction of an account a partial close can restore', () => {
    // Equity 20 on 1,400 notional (maintenance 42): closing about 1,160 of notional would restore it, the cap is 700.
    const size = liquidationSize(long(120n * QUOTE_PRECISION, 140n * PRICE_PRECISION), 0, 0);
    expect(size).toBe((10n * BASE_PRECISION * sol.maxLiquidationFractionBps) / 10_000n);
  });

  it('closes just what restores the account when that is within the cap', () => {
    // Equity 40 on 1,400 notional: closing about 360 of notional restores it (under the cap of 700).
    const size = liquidationSize(long(140n * QUOTE_PRECISION, 140n * PRICE_PRECISION), 0, 0);
    expect(size).toBeGreaterThan(0n);
    expect(size).toBeLessThan((10n * BASE_PRECISION * sol.maxLiquidationFractionBps) / 10_000n);
  });

  it('closes the whole position at once when closing everything would not restore the account', () => {
    // 10 SOL bought at 150 with 50 USDC: at 140 the equity is -50, no partial close can restore it.
    expect(liquidationSize(long(50n * QUOTE_PRECISION, 140n * PRICE_PRECISION), 0, 0)).toBe(10n * BASE_PRECISION);
  });

  it('lets each further step of an episode close twice the fraction, the second all that is needed', () => {
    expect(sol.maxLiquidationFractionBps).toBe(5_000n);
    expect([0, 1, 2, 40].map((step) => liquidationFractionBps(sol, step))).toEqual([5_000n, 10_000n, 10_000n, 10_000n]);
    // Equity 20 on 1,400 notional: about 0.83 of the position restores it; the first step caps it at half.
    const deep = long(120n * QUOTE_PRECISION, 140n * PRICE_PRECISION);
    const need = liquidationSize(deep, 0, 1);
    expect(need).toBeLessThan(10n * BASE_PRECISION);
    expect(need).toBeGreaterThan(5n * BASE_PRECISION);
    expect(liquidationSize(deep, 0, 0)).toBe((10n * BASE_PRECISION) / 2n);
  });
});
