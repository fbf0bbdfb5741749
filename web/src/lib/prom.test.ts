import { describe, expect, it } from 'vitest';
import { alignSeries, rangeEndingAt } from './prom';

describe('alignSeries', () => {
  it('puts every series on one axis, with gaps as null and the display scale applied', () => {
    const { times, series } = alignSeries(
      [
        {
          query: { expr: 'x', name: 'under water', legendLabel: 'market' },
          result: [
            {
              metric: { market: 'SOL-PERP' },
              values: [
                [100, '2'],
                [110, '3'],
              ],
            },
            { metric: { market: 'BTC-PERP' }, values: [[105, '1']] },
          ],
        },
        {
          query: { expr: 'y', name: 'insurance USDC', scale: 1e-6 },
          result: [{ metric: {}, values: [[100, '5000000']] }],
        },
      ],
      100,
      110,
      5,
    );
    expect(times).toEqual([100, 105, 110]);
    expect(series).toEqual([
      { label: 'under water SOL-PERP', values: [2, null, 3] },
      { label: 'under water BTC-PERP', values: [null, 1, null] },
      { label: 'insurance USDC', values: [5, null, null] },
    ]);
  });

  it('drops samples off the step grid and NaN values', () => {
    const { series } = alignSeries(
      [
        {
          query: { expr: 'x', name: 'p99' },
          result: [
            {
              metric: {},
              values: [
                [101, '1'],
                [105, 'NaN'],
              ],
            },
          ],
        },
      ],
      100,
      105,
      5,
    );
    expect(series[0]!.values).toEqual([null, null]);
  });
});

describe('rangeEndingAt', () => {
  it('ends on a whole step', () => {
    expect(rangeEndingAt(1_000_007_000, 15, 15)).toEqual({ start: 1_000_005 - 900, end: 1_000_005 });
  });
});
