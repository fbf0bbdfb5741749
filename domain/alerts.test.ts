import { describe, expect, it } from 'vitest';
import { checkSubscription, decide, distanceBps, fundingAprBps, type AlertMarket } from './alerts';
import {
  BASE_PRECISION,
  DEFAULT_MARKETS,
  FUNDING_RATE_PRECISION,
  liquidationPrice,
  PRICE_PRECISION,
  QUOTE_PRECISION,
  type Account,
} from './perp';

const sol = DEFAULT_MARKETS[0]!;
/** 10 SOL (long, or short with `side` -1) entered at 150 on `collateral` USDC, marked at `price`. */
const holder = (collateral: bigint, price: bigint, side: 1n | -1n = 1n): Account => ({
  collateral: collateral * QUOTE_PRECISION,
  positions: [
    {
      position: {
        marketIndex: sol.marketIndex,
        base: side * 10n * BASE_PRECISION,
        quoteEntry: 1_500n * QUOTE_PRECISION,
        lastFundingIndex: 0n,
      },
      params: sol,
      price,
      fundingIndex: 0n,
    },
  ],
});
const market = (price: bigint, fundingRate = 0n): Map<number, AlertMarket> =>
  new Map([[sol.marketIndex, { symbol: sol.symbol, price, fundingRate }]]);

describe('alert checks', () => {
  it('measures the distance to the liquidation price in bps of the price, 0 once crossed', () => {
    expect(distanceBps(100n * PRICE_PRECISION, 95n * PRICE_PRECISION, true)).toBe(500n);
    expect(distanceBps(100n * PRICE_PRECISION, 104n * PRICE_PRECISION, false)).toBe(400n);
    expect(distanceBps(100n * PRICE_PRECISION, 101n * PRICE_PRECISION, true)).toBe(0n);
  });

  it('fires a liquidation-distance alert from the exact liquidation price, and only within the threshold', () => {
    const price = 150n * PRICE_PRECISION;
    const account = holder(200n, price);
    const liq = liquidationPrice(account, 0)!;
    const distance = ((price - liq) * 10_000n) / price;
    const sub = (thresholdBps: number) => ({ kind: 'liquidation-distance' as const, marketIndex: null, thresholdBps });
    const [near] = checkSubscription(sub(Number(distance)), account, market(price));
    expect(near).toMatchObject({ marketIndex: 0, on: true, clear: false });
    expect(near!.workings.inputs).toMatchObject({ liquidationPrice: liq.toString(), distanceBps: distance.toString() });
    const [far] = checkSubscription(sub(Number(distance) - 1), account, market(price));
    expect(far!.on).toBe(false);
    // Clear again only beyond the 10 % margin: just outside the threshold is not clear, twice the distance is.
    expect(far!.clear).toBe(false);
    expect(checkSubscription(sub(Number(distance / 2n)), account, market(price))[0]!.clear).toBe(true);
    expect(checkSubscription({ ...sub(100), marketIndex: 1 }, account, market(price))).toEqual([]);
  });

  it('fires a funding-apr alert only on the side that pays', () => {
    // 0.01 % an hour: 87.6 % a year.
    const rate = FUNDING_RATE_PRECISION / 10_000n;
    expect(fundingAprBps(rate)).toBe(8_760n);
    const sub = { kind: 'funding-apr' as const, marketIndex: sol.marketIndex, thresholdBps: 5_000 };
    const price = 150n * PRICE_PRECISION;
    expect(checkSubscription(sub, holder(500n, price), market(price, rate))[0]!.on).toBe(true);
    expect(checkSubscription(sub, holder(500n, price, -1n), market(price, rate))[0]!.on).toBe(false);
    expect(checkSubscription(sub, holder(500n, price, -1n), market(price, -rate))[0]!.on).toBe(true);
  });

  it('fires once per condition, re-arms once clear, and forgets markets no longer held', () => {
    const finding = (on: boolean, clear: boolean) => ({
      marketIndex: 0,
      on,
      clear,
      summary: '',
      workings: { formula: '', window: '', threshold: '', inputs: {} },
    });
    expect(decide([], [finding(true, false)])).toMatchObject({ fire: [{ marketIndex: 0 }], firing: [0] });
    expect(decide([0], [finding(true, false)])).toEqual({ fire: [], firing: [0] });
    // Off but within the margin: still firing (no flapping at the threshold).
    expect(decide([0], [finding(false, false)])).toEqual({ fire: [], firing: [0] });
    expect(decide([0], [finding(false, true)])).toEqual({ fire: [], firing: [] });
    expect(decide([0], [])).toEqual({ fire: [], firing: [] });
  });
});
