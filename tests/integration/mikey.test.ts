// MIKEY on the real Redis and Postgres: ticks on the price stream and liquidations on the firehose become
// insights in the insights table and on qd:insights:<market>, once each; a restarted MIKEY continues from
// its consumer group's place, rebuilds its state from what it had read, and writes nothing twice.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { insights } from '../../drizzle/schema';
import { PRICE_PRECISION } from '../../domain/perp';
import { firehoseStreamKey } from '../../domain/workflow-events';
import { liquidationEvent } from '../../workflows/liquidation-events';
import { insightStreamKey, MikeyRunner } from '../../services/mikey/runner';
import { startHarness, type Harness } from '../support/harness';
import { RpcPool } from '../../solana/rpc-pool';
import { fetchPricedMarket } from '../../solana/accounts';
import { RiskBook } from '../../services/risk-monitor/risk-book';
import { marketFlow, sampleMarket } from '../../services/mikey/market-state';
import { outsideSources, pollOutside } from '../../services/mikey/outside/feed';
import { CcxtSource } from '../../services/mikey/outside/ccxt-source';
import { OUTSIDE_STATUS_MAX_AGE_MS, readOutsideStatus } from '../../services/mikey/outside/source';
import { fills, oraclePrices } from '../../drizzle/schema';
import { BASE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import { startLocalnet } from '../support/localnet';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { worker: false });
});
afterAll(async () => {
  await h?.close();
});

const t0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const tick = (i: number, price: bigint) =>
  h.redis.xadd(
    `${h.config.streamPrefix}:prices:SOL-PERP`,
    '*',
    'price',
    price.toString(),
    'confidence',
    '1',
    'slot',
    '1',
    'at',
    new Date(t0 + i * 10_000).toISOString(),
  );

async function drain(runner: MikeyRunner) {
  const out = [];
  for (let i = 0; i < 20; i++) {
    const got = await runner.step(50);
    out.push(...got);
    if (!got.length && i > 2) break;
  }
  return out;
}

describe('MIKEY on the streams', () => {
  it('writes each insight once to the table and the market stream, and resumes after a restart', async () => {
    const first = new MikeyRunner(h.redis, h.db, h.config.streamPrefix, 'a');
    await first.start(t0);
    // An hour of quiet ticks (every 10 s, a few cents either way), then a 9 % drop.
    for (let i = 0; i < 360; i++) await tick(i, 150n * PRICE_PRECISION + BigInt(((i * 7) % 13) - 6) * 10_000n);
    const before = await drain(first);
    expect(before.map((i) => i.kind)).toContain('volatility-regime');

    // A restart: a new runner rebuilds its state from what the group had read, and goes on.
    const second = new MikeyRunner(h.redis, h.db, h.config.streamPrefix, 'b');
    await second.start(t0 + 360 * 10_000);
    for (let i = 360; i < 375; i++) await tick(i, (150n * PRICE_PRECISION * 91n) / 100n);
    for (let n = 0; n < 5; n++) {
      const id = `liq:Acct${n}1111111111111111111111111111111:0:1`;
      const at = new Date(t0 + 361 * 10_000 + n).toISOString();
      const event = liquidationEvent(
        { workflowId: 'liqs:0:x', id, account: `Acct${n}` },
        'liquidated-0',
        'completed',
        at,
      );
      await h.redis.xadd(firehoseStreamKey(h.config.streamPrefix), '*', 'event', JSON.stringify(event));
    }
    const after = await drain(second);
    const kinds = after.map((i) => i.kind);
    expect(kinds).toContain('return-anomaly');
    expect(kinds).toContain('liquidation-cascade');
    // The restarted runner did not report the quiet regime again: its state was rebuilt, not started empty.
    expect(after.find((i) => i.kind === 'volatility-regime' && i.summary.includes('unknown'))).toBeUndefined();

    const rows = await h.db.select().from(insights);
    expect(rows.map((r) => r.id).sort()).toEqual([...before, ...after].map((i) => i.id).sort());
    const stream = await h.redis.xrange(insightStreamKey(h.config.streamPrefix, 'SOL-PERP'), '-', '+');
    expect(stream).toHaveLength(rows.length);
    const cascade = rows.find((r) => r.kind === 'liquidation-cascade')!;
    expect(cascade.workings).toMatchObject({ threshold: '>= 5', window: '60 s' });
  });

  it('samples a market from the chain into its own input stream and reads it back through the group', async () => {
    const ln = await startLocalnet(1);
    onTestFinished(() => ln.stop());
    // Twenty longs at 12.5x and ten shorts at 4x, at 150: the longs' liquidation prices lie about 5 % below it.
    const price = 150n * PRICE_PRECISION;
    const seed = (count: number, base: bigint, collateral: bigint) =>
      ln.control('/seed-traders', {
        marketIndex: 0,
        count,
        collateral: collateral.toString(),
        baseAmount: base.toString(),
        limitPrice: (base > 0n ? 2n * price : 1n).toString(),
        oraclePrice: price.toString(),
      });
    await seed(20, BASE_PRECISION, 12n * QUOTE_PRECISION);
    await seed(10, -(BASE_PRECISION * 4n) / 5n, 30n * QUOTE_PRECISION);
    const pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
    const book = new RiskBook();
    await book.load(pool, [0]);
    const runner = new MikeyRunner(h.redis, h.db, h.config.streamPrefix, 'sampler');
    await runner.start(Date.now());
    const sample = await sampleMarket(pool, book, 0, new Date());
    const { market, reading } = await fetchPricedMarket(pool, 0);
    expect(sample.price).toBe(reading.price);
    expect(sample.oracleConfidence).toBe(reading.confidence);
    expect(sample.oracleAgeSlots).toBeLessThan(5n); // the seeding published it moments ago
    expect(sample.longOi).toBe(BigInt(market.longOpenInterest.toString()));
    expect(sample.shortOi).toBe(BigInt(market.shortOpenInterest.toString()));
    expect(sample.longOi).toBe(20n * BASE_PRECISION);
    // The longs' levels (each account's exact liquidation price) are in the map, within 10 % of the price.
    expect(sample.map.reduce((sum, b) => sum + b.long, 0n)).toBe(20n * BASE_PRECISION);
    for (const b of sample.map) {
      expect(b.from).toBeGreaterThanOrEqual((sample.price * 9n) / 10n - 1n);
      expect(b.to).toBeLessThanOrEqual((sample.price * 11n) / 10n + 1n);
    }
    await runner.recordSample(sample);
    await drain(runner);
    expect(runner.mikey.latestSample(0)).toEqual(sample);

    // The API serves it with the market's insights (the first test's), newest first; bad input is a 400.
    const res = await fetch(`${h.apiUrl}/v1/markets/SOL-PERP/intelligence?limit=500`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      state: { price: string; longOi: string; map: unknown[] } | null;
      insights: { id: string; kind: string; at: string; workings: { formula: string } }[];
    };
    expect(body.state).toMatchObject({ price: sample.price.toString(), longOi: sample.longOi.toString() });
    const rows = await h.db.select().from(insights);
    expect(body.insights.map((i) => i.id).sort()).toEqual(
      rows
        .filter((r) => r.market === 'SOL-PERP')
        .map((r) => r.id)
        .sort(),
    );
    expect(body.insights.map((i) => i.at)).toEqual(
      body.insights
        .map((i) => i.at)
        .sort()
        .reverse(),
    );
    expect(body.insights.every((i) => i.workings.formula.length > 0)).toBe(true);
    const cascades = (await (
      await fetch(`${h.apiUrl}/v1/markets/SOL-PERP/intelligence?kind=liquidation-cascade`)
    ).json()) as { insights: { kind: string }[] };
    expect(cascades.insights.map((i) => i.kind)).toEqual(['liquidation-cascade']);
    for (const bad of [
      '/v1/markets/DOGE-PERP/intelligence',
      '/v1/markets/SOL-PERP/intelligence?limit=0',
      '/v1/markets/SOL-PERP/intelligence?kind=DROP%20TABLE',
    ])
      expect((await fetch(`${h.apiUrl}${bad}`)).status, bad).toBe(400);
  });

  it("measures a market's traded volume and its premium over the oracle from the fills and recorded prices", async () => {
    const t = Date.UTC(2026, 10, 27, 15, 0, 0);
    await h.db.insert(oraclePrices).values([
      { marketIndex: 2, publishedAt: new Date(t - 20_000), price: 100n * PRICE_PRECISION, confidence: 1n, slot: 1n },
      { marketIndex: 2, publishedAt: new Date(t - 8_000), price: 101n * PRICE_PRECISION, confidence: 1n, slot: 2n },
    ]);
    const fill = (n: number, atMs: number, base: bigint, price: bigint) => ({
      signature: `flow-${n}`,
      orderId: `order:x:${n}`,
      account: 'x',
      wallet: 'w',
      marketIndex: 2,
      baseAmount: base,
      price,
      fee: 0n,
      realizedPnl: 0n,
      filledAt: new Date(atMs),
    });
    await h.db.insert(fills).values([
      // 2 bought at 100.50 against 100: 201 traded, 1 of premium.
      fill(1, t - 10_000, 2n * BASE_PRECISION, 100_500_000n),
      // 1 sold at 100.90 against 101: 100.90 traded, 0.10 of premium.
      fill(2, t - 5_000, -BASE_PRECISION, 100_900_000n),
      // Outside the window.
      fill(3, t - 60_000, BASE_PRECISION, 100n * PRICE_PRECISION),
    ]);
    const flow = await marketFlow(h.db, 2, new Date(t - 30_000), new Date(t));
    expect(flow).toEqual({ volume: 301_900_000n, premium: 1_100_000n });
  });

  it('records outside venues as MIKEY inputs, reports a replayed source as replay and a failing one as unavailable', async () => {
    const prefix = h.config.streamPrefix;
    const sources = [
      ...outsideSources(['binanceusdm'], 'replay'),
      new CcxtSource('bybit', { venue: 'bybit', provenance: 'test: nothing recorded', responses: {} }),
    ];
    const now = new Date();
    const statuses = await pollOutside(h.redis, prefix, sources, ['SOL-PERP'], now);
    expect(statuses.map((s) => [s.venue, s.state])).toEqual([
      ['binanceusdm', 'replay'],
      ['bybit', 'unavailable'],
    ]);
    expect(statuses[1]!.error).toMatch(/no recorded response/);
    // MIKEY reads the reading through its group like any input.
    const runner = new MikeyRunner(h.redis, h.db, prefix, 'outside');
    await runner.start(now.getTime());
    await drain(runner);
    expect(runner.mikey.outsideReadings(0)).toEqual([
      expect.objectContaining({ venue: 'binanceusdm', mode: 'replay', price: 150_420_000n }),
    ]);
    // /health reports each source without failing on them; the panel's route serves the reading beside its status.
    const health = (await (await fetch(`${h.apiUrl}/health`)).json()) as { outside: Record<string, { state: string }> };
    expect(health.outside).toMatchObject({ binanceusdm: { state: 'replay' }, bybit: { state: 'unavailable' } });
    const intelligence = (await (await fetch(`${h.apiUrl}/v1/markets/SOL-PERP/intelligence`)).json()) as {
      outside: { venue: string; state: string; reading: { price: string } | null }[];
    };
    expect(intelligence.outside).toEqual([
      expect.objectContaining({
        venue: 'binanceusdm',
        state: 'replay',
        reading: expect.objectContaining({ price: '150420000' }),
      }),
      expect.objectContaining({ venue: 'bybit', state: 'unavailable', reading: null }),
    ]);
    // A source MIKEY stopped reading is unavailable, never shown as it last was.
    const later = await readOutsideStatus(
      h.redis,
      prefix,
      now.getTime() + OUTSIDE_STATUS_MAX_AGE_MS + 1,
      OUTSIDE_STATUS_MAX_AGE_MS,
    );
    expect(later.map((s) => s.state)).toEqual(['unavailable', 'unavailable']);
  });
});
