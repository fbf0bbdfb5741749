import { describe, expect, it } from 'vitest';
import { BASE_PRECISION, DEFAULT_MARKETS, FUNDING_RATE_PRECISION, PRICE_PRECISION } from '../../domain/perp';
import { Mikey, type Insight } from './mikey';
import { decodeSample, encodeSample, type MarketSample } from './market-state';
import { basisBps, fundingApr, liquidationMap, longShare, quadrantOf } from './signals';

const P = PRICE_PRECISION;
const B = BASE_PRECISION;

describe('market-state signals', () => {
  it('turns an hourly funding rate into a yearly one and a mark/oracle gap into basis points', () => {
    // 0.01 % an hour is 87.6 % a year.
    expect(fundingApr(FUNDING_RATE_PRECISION / 10_000n, FUNDING_RATE_PRECISION)).toBeCloseTo(0.876, 10);
    expect(basisBps(101n * P, 100n * P)).toBeCloseTo(100, 10);
    expect(basisBps(1n, 0n)).toBeNull();
    expect(longShare(3n, 1n)).toBe(0.75);
    expect(longShare(0n, 0n)).toBeNull();
  });

  it('names the open interest / price quadrant, and nothing below the thresholds', () => {
    expect(quadrantOf(0.01, 0.1)).toBe('new-longs');
    expect(quadrantOf(-0.01, 0.1)).toBe('new-shorts');
    expect(quadrantOf(0.01, -0.1)).toBe('short-covering');
    expect(quadrantOf(-0.01, -0.1)).toBe('deleveraging');
    expect(quadrantOf(0.001, 0.1)).toBeNull();
    expect(quadrantOf(0.01, 0.01)).toBeNull();
  });

  it('sums every exact liquidation level near the price into buckets by side, and leaves the rest out', () => {
    const map = liquidationMap(
      [
        { side: 'long', price: 95n * P, base: 2n * B },
        { side: 'long', price: 95n * P + 1n, base: 3n * B },
        { side: 'short', price: 105n * P, base: 1n * B },
        { side: 'long', price: 50n * P, base: 9n * B }, // beyond 10 % of the price
        { side: 'short', price: 0n, base: 9n * B }, // no positive liquidation price
      ],
      100n * P,
    );
    expect(map).toEqual([
      { from: 95n * P, to: 95n * P + P / 2n, long: 5n * B, short: 0n },
      { from: 105n * P, to: 105n * P + P / 2n, long: 0n, short: 1n * B },
    ]);
  });

  it('keeps every integer of a sample through its stream encoding', () => {
    const s = sample(0, { fundingRate: -123n, map: [{ from: 1n, to: 2n, long: 3n, short: 4n }] });
    const [, json] = encodeSample(s);
    expect(decodeSample(json!)).toEqual(s);
  });
});

function sample(minute: number, over: Partial<MarketSample> = {}): MarketSample {
  return {
    marketIndex: 0,
    at: new Date(Date.UTC(2026, 10, 27, 0, minute)).toISOString(),
    price: 100n * P,
    longOi: 1_000n * B,
    shortOi: 1_000n * B,
    fundingRate: FUNDING_RATE_PRECISION / 1_000_000n,
    markTwap: 100n * P,
    oracleTwap: 100n * P,
    map: [],
    volume: 0n,
    premium: 0n,
    oracleConfidence: (100n * P) / 2_000n,
    oracleAgeSlots: 1n,
    ...over,
  };
}

/** Two hours of samples: quiet, then funding spikes, the mark runs above the oracle, longs pile in, and a cluster forms. */
function recorded(): MarketSample[] {
  const out: MarketSample[] = [];
  for (let m = 0; m < 120; m++) {
    const late = m >= 90;
    const jitter = BigInt((m * 7919) % 5) - 2n;
    out.push(
      sample(m, {
        fundingRate: late ? FUNDING_RATE_PRECISION / 2_000n : FUNDING_RATE_PRECISION / 1_000_000n + jitter,
        markTwap: late ? 101n * P : 100n * P,
        price: late ? 100n * P + BigInt(m - 89) * (P / 2n) : 100n * P,
        longOi: late ? 1_000n * B + BigInt(m - 89) * 200n * B : 1_000n * B,
        map: late ? [{ from: 95n * P, to: 95n * P + P / 2n, long: 400n * B, short: 0n }] : [],
      }),
    );
  }
  return out;
}

const replay = (samples: readonly MarketSample[]): Insight[] => {
  const mikey = new Mikey();
  return samples.flatMap((s) => mikey.onMarketState(s));
};

describe('Mikey on market samples', () => {
  it('finds a burst of volume and a widening spread once each, against the last hour', () => {
    const usdc = (n: bigint) => n * 1_000_000n;
    // An hour of steady trading (about 10,000 USDC a minute at 2-3 bps over the oracle), then a minute of
    // 500,000 at 3 bps, then 12,000 at 40 bps, then back to normal.
    const samples = Array.from({ length: 63 }, (_, m) => {
      const volume = m === 60 ? usdc(500_000n) : m === 61 ? usdc(12_000n) : usdc(10_000n + BigInt((m * 37) % 7) * 100n);
      const bps = m === 61 ? 40n : 2n + BigInt(m % 2);
      return sample(m, { volume, premium: (volume * bps) / 10_000n });
    });
    const out = replay(samples);
    expect(replay(samples)).toEqual(out);
    const volume = out.filter((i) => i.kind === 'volume-anomaly');
    const spread = out.filter((i) => i.kind === 'spread-anomaly');
    expect(volume).toEqual([
      expect.objectContaining({ at: samples[60]!.at, inputs: { volume: usdc(500_000n).toString() } }),
    ]);
    expect(volume[0]!.value).toBeGreaterThanOrEqual(4);
    expect(spread).toEqual([expect.objectContaining({ at: samples[61]!.at })]);
    expect(spread[0]!.summary).toContain('40.0 bps');
  });

  it("says when the oracle degrades toward the program's guards, when they refuse it, and when it recovers", () => {
    const sol = DEFAULT_MARKETS[0]!;
    const ages = [
      1n,
      2n,
      sol.oracleMaxStaleSlots / 2n + 1n,
      sol.oracleMaxStaleSlots + 1n,
      sol.oracleMaxStaleSlots + 5n,
      1n,
    ];
    const out = replay(ages.map((age, m) => sample(m, { oracleAgeSlots: age }))).filter(
      (i) => i.kind === 'oracle-health',
    );
    expect(out.map((i) => i.summary.split(':')[0])).toEqual([
      'SOL-PERP oracle degraded',
      'SOL-PERP oracle refused',
      'SOL-PERP oracle healthy',
    ]);
    expect(out[1]!.inputs).toMatchObject({ ageSlots: (sol.oracleMaxStaleSlots + 1n).toString() });
    // A wide confidence degrades it too (5 bps is healthy: the market allows far more).
    const wide = replay([
      sample(0),
      sample(1, { oracleConfidence: (100n * P * sol.oracleMaxConfidenceBps) / 10_000n }),
    ]);
    expect(wide.filter((i) => i.kind === 'oracle-health').map((i) => i.summary.split(':')[0])).toEqual([
      'SOL-PERP oracle degraded',
    ]);
  });

  it('scores a flat funding history against a floor of 1 % a year, not a zero deviation', () => {
    const flat = Array.from({ length: 30 }, (_, m) => sample(m));
    // 0.001 % an hour more than the flat history is 8.76 % a year more: 8.8 floors, not millions.
    const spike = sample(30, { fundingRate: FUNDING_RATE_PRECISION / 1_000_000n + FUNDING_RATE_PRECISION / 100_000n });
    const [funding] = replay([...flat, spike]).filter((i) => i.kind === 'funding-extreme');
    expect(funding!.value).toBeCloseTo(8.76, 1);
  });

  it('says each change once, with its workings, and the same for the same samples every time', () => {
    const first = replay(recorded());
    expect(replay(recorded())).toEqual(first);
    const at90 = new Date(Date.UTC(2026, 10, 27, 1, 30)).toISOString();
    const kinds = (kind: Insight['kind']) => first.filter((i) => i.kind === kind);
    expect(kinds('funding-extreme')).toHaveLength(1);
    expect(kinds('funding-extreme')[0]).toMatchObject({ at: at90, threshold: '|z| >= 3' });
    expect(kinds('basis')).toEqual([expect.objectContaining({ at: at90, value: 100 })]);
    expect(kinds('liquidation-cluster')).toEqual([
      expect.objectContaining({ at: at90, inputs: expect.objectContaining({ long: (400n * B).toString() }) }),
    ]);
    // Longs piling in while the price rises: new longs, then crowded longs once they hold 70 %.
    expect(kinds('oi-quadrant')[0]).toMatchObject({ summary: expect.stringContaining('new longs') });
    expect(kinds('crowding')).toHaveLength(1);
    expect(kinds('crowding')[0]!.value).toBeGreaterThanOrEqual(0.7);
    for (const i of first) expect(i.formula && i.window && i.threshold && Object.keys(i.inputs).length).toBeTruthy();
    expect(first.every((i) => i.at >= at90)).toBe(true); // the quiet hour says nothing
  });
});
