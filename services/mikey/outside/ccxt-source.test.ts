import { describe, expect, it } from 'vitest';
import { BASE_PRECISION, FUNDING_RATE_PRECISION, PRICE_PRECISION } from '../../../domain/perp';
import { Mikey } from '../mikey';
import { CcxtSource, loadRecording } from './ccxt-source';
import { decimalToInteger, decodeReading, encodeReading, type OutsideReading } from './source';

const MARKETS = ['SOL-PERP', 'BTC-PERP', 'ETH-PERP'];

describe('decimalToInteger', () => {
  it('reads venue decimals exactly, exponents included, truncating toward zero', () => {
    expect(decimalToInteger('150.42', 6)).toBe(150_420_000n);
    expect(decimalToInteger('1e-05', 9)).toBe(10_000n);
    expect(decimalToInteger('-0.000025', 9)).toBe(-25_000n);
    expect(decimalToInteger('8123456.789', 9)).toBe(8_123_456_789_000_000n);
    expect(decimalToInteger('0.1234567', 6)).toBe(123_456n);
    expect(decimalToInteger('3', 0)).toBe(3n);
    for (const bad of ['', 'NaN', '1.2.3', '0x10', 'Infinity', '1e99']) expect(decimalToInteger(bad, 6)).toBeNull();
  });
});

describe('the ccxt sources on their recordings', () => {
  it("turns Binance USDM's ticker, funding and open interest into our integers", async () => {
    const readings = await new CcxtSource('binanceusdm', loadRecording('binanceusdm')).read(MARKETS);
    expect(readings.map((r) => r.market)).toEqual(MARKETS);
    expect(readings[0]).toEqual({
      venue: 'binanceusdm',
      mode: 'replay',
      market: 'SOL-PERP',
      instrument: 'SOL/USDT:USDT',
      at: '2025-11-27T12:00:00.000Z',
      price: 15_042n * (PRICE_PRECISION / 100n),
      indexPrice: 15_031n * (PRICE_PRECISION / 100n),
      // 0.01 % per 8 hours.
      fundingRatePerHour: FUNDING_RATE_PRECISION / 10_000n / 8n,
      openInterest: 8_123_456_789n * (BASE_PRECISION / 1_000n),
    });
    // A negative rate stays negative.
    expect(readings[2]!.fundingRatePerHour).toBe(-(FUNDING_RATE_PRECISION * 25n) / 1_000_000n / 8n);
  });

  it("reads Bybit's through the same interface", async () => {
    const readings = await new CcxtSource('bybit', loadRecording('bybit')).read(MARKETS);
    expect(readings[0]).toMatchObject({
      venue: 'bybit',
      market: 'SOL-PERP',
      price: 150_390_000n,
      fundingRatePerHour: (FUNDING_RATE_PRECISION * 12n) / 100_000n / 8n,
      openInterest: 5_123_456_700_000_000n,
    });
  });

  it('fails like an unreachable venue when a response was not recorded, and keeps every integer through its stream encoding', async () => {
    const empty = new CcxtSource('bybit', { venue: 'bybit', provenance: 'test', responses: {} });
    await expect(empty.read(MARKETS)).rejects.toThrow(/no recorded response/);
    const [r] = await new CcxtSource('binanceusdm', loadRecording('binanceusdm')).read(['SOL-PERP']);
    expect(decodeReading(encodeReading(r!)[1]!)).toEqual(r);
  });
});

describe('Mikey on outside readings', () => {
  it('says once when our oracle leaves the venues’ reference, and that the reference is replayed', () => {
    const mikey = new Mikey();
    const t0 = Date.UTC(2026, 10, 27, 12);
    mikey.onPrice(0, 150n * PRICE_PRECISION, t0);
    const reading = (venue: string, price: bigint): OutsideReading => ({
      venue,
      mode: 'replay',
      market: 'SOL-PERP',
      instrument: 'SOL/USDT:USDT',
      at: new Date(t0).toISOString(),
      price,
      indexPrice: null,
      fundingRatePerHour: null,
      openInterest: null,
    });
    const at = (s: number) => new Date(t0 + s * 1_000).toISOString();
    // One venue at 150.5 (33 bps): nothing; a second at 153.5: the median 152 is 132 bps above our 150.
    expect(mikey.onOutside(reading('binanceusdm', 150_500_000n), at(1))).toEqual([]);
    const [said] = mikey.onOutside(reading('bybit', 153_500_000n), at(2));
    expect(said).toMatchObject({
      kind: 'outside-basis',
      market: 'SOL-PERP',
      at: at(2),
      threshold: '|basis| >= 100 bps',
    });
    expect(said!.value).toBeCloseTo(-131.6, 1);
    expect(said!.summary).toContain('replayed recordings, not live');
    expect(said!.inputs).toMatchObject({ reference: '152000000', 'bybit (replay)': '153500000' });
    // Still below: said once.
    expect(mikey.onOutside(reading('bybit', 153_600_000n), at(3))).toEqual([]);
  });
});
