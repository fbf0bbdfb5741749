import { describe, expect, it } from 'vitest';
import { PRICE_PRECISION } from '../../domain/perp';
import type { WorkflowEvent } from '../../domain/workflow-events';
import { liquidationEvent } from '../../workflows/liquidation-events';
import { nextPrice, seededRandom } from '../price-feed/price-feed';
import { Mikey, type Insight } from './mikey';
import { ewmaVolatility, parkinsonVolatility, regimeOf, robustZ } from './signals';

type Input = { price: { marketIndex: number; price: bigint; atMs: number } } | { event: WorkflowEvent };

/** A recorded stream: three hours of SOL ticks every 5 s (quiet, then a jump, then wild), and a liquidation burst. */
function recordedStream(): Input[] {
  const random = seededRandom(42n);
  const t0 = Date.UTC(2026, 10, 27, 0, 0, 0);
  const inputs: Input[] = [];
  let price = 150n * PRICE_PRECISION;
  for (let i = 0; i < 3 * 720; i++) {
    const wild = i > 2 * 720;
    price = nextPrice(
      price,
      wild ? { stepBps: 60n, jumpPermille: 0n, jumpBps: 0n } : { stepBps: 2n, jumpPermille: 0n, jumpBps: 0n },
      random,
    );
    if (i === 720) price = (price * 92n) / 100n; // an 8 % drop in one tick
    inputs.push({ price: { marketIndex: 0, price, atMs: t0 + i * 5_000 } });
    if (i >= 730 && i < 736) {
      const at = new Date(t0 + i * 5_000 + 1).toISOString();
      const id = `liq:Acct${i}111111111111111111111111111111:0:1`;
      inputs.push({
        event: liquidationEvent({ workflowId: 'liqs:0:x', id, account: `Acct${i}` }, 'liquidated-0', 'completed', at),
      });
    }
  }
  return inputs;
}

function replay(inputs: readonly Input[]): Insight[] {
  const mikey = new Mikey();
  return inputs.flatMap((x) =>
    'price' in x ? mikey.onPrice(x.price.marketIndex, x.price.price, x.price.atMs) : mikey.onEvent(x.event),
  );
}

describe('Mikey', () => {
  it('gives the same insights for the same stream, every time', () => {
    const stream = recordedStream();
    const first = replay(stream);
    expect(first.length).toBeGreaterThan(0);
    expect(replay(stream)).toEqual(first);
    expect(new Set(first.map((i) => i.id)).size).toBe(first.length);
  });

  it('reports the jump as an anomaly, the cascade once, and the regime as it changes, each with its workings', () => {
    const insights = replay(recordedStream());
    const anomaly = insights.filter((i) => i.kind === 'return-anomaly');
    expect(anomaly[0]).toMatchObject({ market: 'SOL-PERP', at: '2026-11-27T01:01:00.000Z' });
    expect(anomaly[0]!.value).toBeLessThan(-6);
    const cascades = insights.filter((i) => i.kind === 'liquidation-cascade');
    expect(cascades).toHaveLength(1);
    expect(cascades[0]).toMatchObject({ value: 5, threshold: '>= 5', window: '60 s' });
    const regimes = insights.filter((i) => i.kind === 'volatility-regime').map((i) => i.summary.split(' (')[0]);
    // Quiet, then the jump: stressed from that minute on, without flickering at a bound (hysteresis).
    expect(regimes).toEqual([
      'SOL-PERP volatility regime unknown -> calm',
      'SOL-PERP volatility regime calm -> stressed',
    ]);
    for (const i of insights) expect(i.formula && i.window && i.threshold && Object.keys(i.inputs).length).toBeTruthy();
  });
});

describe('signals', () => {
  it('annualizes EWMA and Parkinson volatility, labels regimes and scores outliers robustly', () => {
    // A steady 0.1 % a minute: sqrt(0.001^2 x 525,600) = 72.5 % a year.
    expect(ewmaVolatility(Array(50).fill(0.001))).toBeCloseTo(0.725, 3);
    const candle = { start: 0, open: 100n, high: 101n, low: 100n, close: 100n };
    expect(parkinsonVolatility([candle])).toBeCloseTo(Math.sqrt((Math.log(1.01) ** 2 / (4 * Math.LN2)) * 525_600), 9);
    expect(['calm', 'normal', 'stressed'].map((_, i) => regimeOf([0.2, 0.8, 1.5][i]!))).toEqual([
      'calm',
      'normal',
      'stressed',
    ]);
    const window = Array.from({ length: 20 }, (_, i) => (i % 2 ? 0.001 : -0.001));
    expect(robustZ(0.001, window)).toBeCloseTo(0.674, 2);
    expect(robustZ(0.05, window)).toBeGreaterThan(30);
    expect(robustZ(0.05, window.slice(0, 5))).toBeNull();
  });
});
