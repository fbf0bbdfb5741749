import { describe, expect, it } from 'vitest';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '@domain/perp';
import { previewOrder } from './preview';

describe('order ticket preview', () => {
  it('prices a long on an empty account with the domain math', () => {
    const p = previewOrder({
      account: { equity: (500n * QUOTE_PRECISION).toString(), positions: [] },
      marketIndex: 0,
      delta: 10n * BASE_PRECISION,
      oraclePrice: 150n * PRICE_PRECISION,
      skew: 0n,
    });
    expect(p.fillPrice).toBeGreaterThan(150n * PRICE_PRECISION); // skew impact against the buyer
    expect(p.fee).toBeGreaterThan(0n);
    expect(p.passesInitialMargin).toBe(true);
    expect(p.liquidationPriceAfter).not.toBeNull();
    expect(p.liquidationPriceAfter!).toBeLessThan(150n * PRICE_PRECISION);
    expect(p.leverageBpsAfter!).toBeGreaterThan(29_000n); // ~3x
  });

  it('refuses what initial margin cannot carry and shows a reducing order freeing margin', () => {
    const account = {
      equity: (100n * QUOTE_PRECISION).toString(),
      positions: [
        {
          marketIndex: 0,
          base: (10n * BASE_PRECISION).toString(),
          quoteEntry: (1_500n * QUOTE_PRECISION).toString(),
          markPrice: (150n * PRICE_PRECISION).toString(),
        },
      ],
    };
    expect(
      previewOrder({
        account,
        marketIndex: 0,
        delta: 10n * BASE_PRECISION,
        oraclePrice: 150n * PRICE_PRECISION,
        skew: 0n,
      }).passesInitialMargin,
    ).toBe(false);
    const reduce = previewOrder({
      account,
      marketIndex: 0,
      delta: -5n * BASE_PRECISION,
      oraclePrice: 150n * PRICE_PRECISION,
      skew: 0n,
    });
    expect(reduce.initialRequirement!).toBeLessThan(
      previewOrder({ account, marketIndex: 0, delta: 1n, oraclePrice: 150n * PRICE_PRECISION, skew: 0n })
        .initialRequirement!,
    );
    expect(reduce.refusal).toBeNull();
  });

  it('says what the program would refuse: a reduce-only order with nothing to reduce, a limit the fill price passes', () => {
    const account = {
      equity: (1_000n * QUOTE_PRECISION).toString(),
      positions: [
        {
          marketIndex: 0,
          base: (2n * BASE_PRECISION).toString(),
          quoteEntry: (300n * QUOTE_PRECISION).toString(),
          markPrice: (150n * PRICE_PRECISION).toString(),
        },
      ],
    };
    const base = { account, marketIndex: 0, oraclePrice: 150n * PRICE_PRECISION, skew: 0n };
    expect(previewOrder({ ...base, delta: BASE_PRECISION, reduceOnly: true }).refusal).toBe('ReduceOnlyViolated');
    // Reduce-only clamps to the position: selling 5 of a 2 long closes it.
    const close = previewOrder({ ...base, delta: -5n * BASE_PRECISION, reduceOnly: true });
    expect(close.refusal).toBeNull();
    expect(close.liquidationPriceAfter).toBeNull();
    expect(previewOrder({ ...base, delta: BASE_PRECISION, limitPrice: 149n * PRICE_PRECISION }).refusal).toBe(
      'SlippageExceeded',
    );
  });
});
