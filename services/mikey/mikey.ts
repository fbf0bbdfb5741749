import { DEFAULT_MARKETS, FUNDING_RATE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import type { WorkflowEvent } from '../../domain/workflow-events';
import { parseWorkflowId } from '../../workflows/definitions';
import {
  addTick,
  ANOMALY_Z,
  CASCADE_COUNT,
  CASCADE_WINDOW_MS,
  cascadeAt,
  ewmaVolatility,
  EWMA_LAMBDA,
  logReturns,
  parkinsonVolatility,
  REGIME_BOUNDS,
  regimeOf,
  robustZ,
  basisBps,
  BASIS_BPS,
  OUTSIDE_BASIS_BPS,
  oracleHealthOf,
  type OracleHealth,
  CLUSTER_SHARE,
  CROWDED_SHARE,
  fundingApr,
  FUNDING_MIN_SCALE,
  FUNDING_Z,
  logVolume,
  spreadBps,
  SPREAD_MIN_SCALE,
  SPREAD_Z,
  VOLUME_MIN_SCALE,
  VOLUME_Z,
  longShare,
  MAP_BUCKET_BPS,
  MAP_RANGE_BPS,
  quadrantOf,
  QUADRANT_MIN_OI_CHANGE,
  QUADRANT_MIN_PRICE_CHANGE,
  type Candle,
  type Quadrant,
  type Regime,
} from './signals';
import type { MarketSample } from './market-state';
import type { OutsideReading } from './outside/source';
import type { Insight } from '../../domain/insights';

export type { Insight };

/** A price (PRICE_PRECISION) as a decimal with two places, for a summary; the inputs keep the integers. */
const priceText = (p: bigint) => {
  const cents = (p * 100n) / PRICE_PRECISION;
  return `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
};

/** Candles kept per market (two hours), and the returns window of the anomaly check. */
const CANDLES_KEPT = 120;
const ANOMALY_WINDOW = 60;
/** Market samples kept (one a minute: two hours), the funding z-score's window and the quadrant's lookback. */
const SAMPLES_KEPT = 120;
const FUNDING_WINDOW = 60;
const QUADRANT_LOOKBACK = 5;

interface MarketState {
  candles: Candle[];
  regime: Regime | null;
  liquidations: number[];
  /** The end of the last cascade reported, so one cascade is one insight. */
  cascadeUntil: number;
  samples: MarketSample[];
  /** What was last said of each market-state signal, so that each change is one insight. */
  said: {
    funding: boolean;
    basis: -1 | 0 | 1;
    quadrant: Quadrant | null;
    crowded: 'long' | 'short' | null;
    cluster: string | null;
    volume: boolean;
    spread: boolean;
    outside: -1 | 0 | 1;
    oracle: OracleHealth;
  };
  /** Each venue's latest reading of this market (services/mikey/outside). */
  outside: Map<string, OutsideReading>;
}

/**
 * MIKEY's state machine: price ticks and workflow events in, insights out. Deterministic: it reads no
 * clock (times come from the inputs) and keeps no randomness, so replaying a recorded stream gives the
 * same insights (services/mikey/mikey.test.ts replays one twice).
 */
export class Mikey {
  private readonly markets = new Map<number, MarketState>();
  private readonly symbols = new Map(DEFAULT_MARKETS.map((m) => [m.marketIndex, m.symbol]));

  private state(marketIndex: number): MarketState {
    let s = this.markets.get(marketIndex);
    if (!s)
      this.markets.set(
        marketIndex,
        (s = {
          candles: [],
          regime: null,
          liquidations: [],
          cascadeUntil: 0,
          samples: [],
          said: {
            funding: false,
            basis: 0,
            quadrant: null,
            crowded: null,
            cluster: null,
            volume: false,
            spread: false,
            outside: 0,
            oracle: 'healthy',
          },
          outside: new Map(),
        }),
      );
    return s;
  }

  /** A price tick (PRICE_PRECISION) at `atMs`: when it opens a new minute, the finished candle is assessed. */
  onPrice(marketIndex: number, price: bigint, atMs: number): Insight[] {
    const s = this.state(marketIndex);
    const before = s.candles.at(-1)?.start;
    addTick(s.candles, price, atMs, CANDLES_KEPT);
    const opened = s.candles.at(-1)!.start;
    if (before === undefined || opened === before) return [];
    // The candles up to the one that just closed.
    return this.assess(marketIndex, s, s.candles.slice(0, -1), new Date(opened).toISOString());
  }

  /** A workflow event: liquidation steps count toward the market's cascade detector. */
  onEvent(event: WorkflowEvent): Insight[] {
    if (event.kind !== 'liquidation' || !event.step.startsWith('liquidated') || event.status !== 'completed') return [];
    const episode = parseWorkflowId.liquidation(event.detail?.liquidation ?? '');
    if (!episode) return [];
    const s = this.state(episode.marketIndex);
    const at = Date.parse(event.at);
    s.liquidations.push(at);
    s.liquidations = s.liquidations.filter((t) => t > at - CASCADE_WINDOW_MS);
    const count = cascadeAt(s.liquidations, at);
    if (count < CASCADE_COUNT || at < s.cascadeUntil) return [];
    s.cascadeUntil = at + CASCADE_WINDOW_MS;
    const market = this.symbol(episode.marketIndex);
    return [
      {
        id: `${market}:liquidation-cascade:${event.at}`,
        market,
        kind: 'liquidation-cascade',
        at: event.at,
        summary: `${count} liquidations in ${market} within ${CASCADE_WINDOW_MS / 1000} s: a cascade`,
        value: count,
        formula: 'count of liquidation steps in the window',
        window: `${CASCADE_WINDOW_MS / 1000} s`,
        threshold: `>= ${CASCADE_COUNT}`,
        inputs: { liquidations: count, last: event.detail?.liquidation ?? '' },
      },
    ];
  }

  /**
   * A market sample (once a minute, from the chain): funding against its own history, basis, the open
   * interest / price quadrant, crowding and the liquidation map's clusters; each says something when it
   * starts (or changes), not every minute it holds.
   */
  onMarketState(sample: MarketSample): Insight[] {
    const s = this.state(sample.marketIndex);
    const market = this.symbol(sample.marketIndex);
    const at = sample.at;
    const history = s.samples.slice(-FUNDING_WINDOW);
    s.samples.push(sample);
    if (s.samples.length > SAMPLES_KEPT) s.samples.splice(0, s.samples.length - SAMPLES_KEPT);
    const out: Insight[] = [];
    const insight = (kind: Insight['kind'], i: Omit<Insight, 'id' | 'market' | 'kind' | 'at'>) =>
      out.push({ id: `${market}:${kind}:${at}`, market, kind, at, ...i });

    // Funding: its APR, and how unusual it is against its own recent history (robust z).
    const apr = fundingApr(sample.fundingRate, FUNDING_RATE_PRECISION);
    const z = robustZ(
      apr,
      history.map((h) => fundingApr(h.fundingRate, FUNDING_RATE_PRECISION)),
      FUNDING_MIN_SCALE,
    );
    const extreme = z !== null && Math.abs(z) >= FUNDING_Z;
    if (extreme && !s.said.funding)
      insight('funding-extreme', {
        summary: `${market} funding ${(apr * 100).toFixed(1)} % a year (${sample.fundingRate > 0n ? 'longs pay' : 'shorts pay'}), ${z!.toFixed(1)} robust deviations from its last ${history.length} readings`,
        value: z!,
        formula: `APR = rate per hour x 24 x 365; z = (APR - median) / max(1.4826 x MAD, ${FUNDING_MIN_SCALE * 100} %)`,
        window: `${history.length} one-minute samples`,
        threshold: `|z| >= ${FUNDING_Z}`,
        inputs: { fundingRatePerHour: sample.fundingRate.toString(), apr },
      });
    s.said.funding = extreme;

    // Oracle health: its age, confidence and distance from its TWAP against the market's own guards, said
    // when it degrades (past half a limit: the program is about to refuse) and when it recovers.
    const params = DEFAULT_MARKETS.find((m) => m.marketIndex === sample.marketIndex);
    if (params) {
      const health = oracleHealthOf(sample, params);
      if (health.state !== s.said.oracle)
        insight('oracle-health', {
          summary: `${market} oracle ${health.state}: ${sample.oracleAgeSlots} of ${params.oracleMaxStaleSlots} slots old, confidence ${health.confidenceBps.toFixed(1)} of ${params.oracleMaxConfidenceBps} bps, ${health.deviationBps.toFixed(0)} of ${params.oracleMaxTwapDeviationBps} bps from its TWAP`,
          value: health.worst,
          formula:
            'each of age / max stale slots, (confidence / price) / max confidence, |price - oracle TWAP| / TWAP / max deviation; the largest of the three',
          window: 'the sample',
          threshold: '> 0.5 of a limit: degraded; > 1: refused by the program; healthy again below 0.5',
          inputs: {
            ageSlots: sample.oracleAgeSlots.toString(),
            confidence: sample.oracleConfidence.toString(),
            price: sample.price.toString(),
            oracleTwap: sample.oracleTwap.toString(),
          },
        });
      s.said.oracle = health.state;
    }

    // Volume: the minute's traded volume against its last hour (log scale), upward only.
    const volume = logVolume(sample.volume, QUOTE_PRECISION);
    const vz = robustZ(
      volume,
      history.map((h) => logVolume(h.volume, QUOTE_PRECISION)),
      VOLUME_MIN_SCALE,
    );
    const busy = vz !== null && vz >= VOLUME_Z;
    if (busy && !s.said.volume)
      insight('volume-anomaly', {
        summary: `${market} traded ${priceText(sample.volume)} USDC since the last sample, ${vz.toFixed(1)} robust deviations above its last ${history.length} readings`,
        value: vz,
        formula: `x = ln(1 + volume in USDC); z = (x - median) / max(1.4826 x MAD, ${VOLUME_MIN_SCALE})`,
        window: `${history.length} one-minute samples`,
        threshold: `z >= ${VOLUME_Z}`,
        inputs: { volume: sample.volume.toString() },
      });
    s.said.volume = busy;

    // Effective spread: the premium fills paid over the oracle, against the last hour's minutes that traded.
    const spread = spreadBps(sample.premium, sample.volume);
    const spreads = history.flatMap((h) => {
      const v = spreadBps(h.premium, h.volume);
      return v === null ? [] : [v];
    });
    const sz = spread === null ? null : robustZ(spread, spreads, SPREAD_MIN_SCALE);
    const wide = sz !== null && sz >= SPREAD_Z;
    if (wide && !s.said.spread)
      insight('spread-anomaly', {
        summary: `${market} fills paid ${spread!.toFixed(1)} bps over the oracle, ${sz.toFixed(1)} robust deviations above the last ${spreads.length} traded minutes`,
        value: sz,
        formula: `spread = Σ |base| x |fill - oracle| / Σ |base| x fill x 10,000; z = (spread - median) / max(1.4826 x MAD, ${SPREAD_MIN_SCALE} bps)`,
        window: `${spreads.length} one-minute samples with fills`,
        threshold: `z >= ${SPREAD_Z}`,
        inputs: { volume: sample.volume.toString(), premium: sample.premium.toString() },
      });
    if (spread !== null) s.said.spread = wide;

    // Basis: the mark TWAP against the oracle TWAP.
    const basis = basisBps(sample.markTwap, sample.oracleTwap);
    const side = basis === null || Math.abs(basis) < BASIS_BPS ? 0 : basis > 0 ? 1 : -1;
    if (side !== 0 && side !== s.said.basis)
      insight('basis', {
        summary: `${market} trades ${Math.abs(basis!).toFixed(0)} bps ${side > 0 ? 'above' : 'below'} its oracle (TWAPs)`,
        value: basis!,
        formula: '(mark TWAP - oracle TWAP) / oracle TWAP x 10,000',
        window: "the program's TWAPs",
        threshold: `|basis| >= ${BASIS_BPS} bps`,
        inputs: { markTwap: sample.markTwap.toString(), oracleTwap: sample.oracleTwap.toString() },
      });
    s.said.basis = side;

    // Open interest against price over the lookback: who is moving the market.
    const then = s.samples.at(-1 - QUADRANT_LOOKBACK);
    if (then) {
      const oiThen = then.longOi + then.shortOi;
      const oiNow = sample.longOi + sample.shortOi;
      const priceChange = then.price > 0n ? Number(sample.price - then.price) / Number(then.price) : 0;
      const oiChange = oiThen > 0n ? Number(oiNow - oiThen) / Number(oiThen) : 0;
      const quadrant = quadrantOf(priceChange, oiChange);
      if (quadrant && quadrant !== s.said.quadrant)
        insight('oi-quadrant', {
          summary: `${market}: ${quadrant.replace('-', ' ')} (price ${(priceChange * 100).toFixed(2)} %, open interest ${(oiChange * 100).toFixed(1)} % over ${QUADRANT_LOOKBACK} min)`,
          value: oiChange,
          formula: 'sign of the price change and of the open interest change over the window',
          window: `${QUADRANT_LOOKBACK} one-minute samples`,
          threshold: `|price change| >= ${QUADRANT_MIN_PRICE_CHANGE * 100} % and |open interest change| >= ${QUADRANT_MIN_OI_CHANGE * 100} %`,
          inputs: {
            priceThen: then.price.toString(),
            priceNow: sample.price.toString(),
            openInterestThen: oiThen.toString(),
            openInterestNow: oiNow.toString(),
          },
        });
      s.said.quadrant = quadrant;
    }

    // Crowding: one side's share of the open interest.
    const share = longShare(sample.longOi, sample.shortOi);
    const crowded =
      share === null ? null : share >= CROWDED_SHARE ? 'long' : share <= 1 - CROWDED_SHARE ? 'short' : null;
    if (crowded && crowded !== s.said.crowded)
      insight('crowding', {
        summary: `${market} ${crowded}s crowded: ${((crowded === 'long' ? share! : 1 - share!) * 100).toFixed(0)} % of open interest`,
        value: share!,
        formula: 'long open interest / (long + short open interest)',
        window: 'now',
        threshold: `>= ${CROWDED_SHARE * 100} % on one side`,
        inputs: { longOpenInterest: sample.longOi.toString(), shortOpenInterest: sample.shortOi.toString() },
      });
    s.said.crowded = crowded;

    // The liquidation map's heaviest bucket near the price, from every account's exact liquidation price.
    const openInterest = sample.longOi > sample.shortOi ? sample.longOi : sample.shortOi;
    const heaviest = sample.map.reduce<(typeof sample.map)[number] | null>(
      (best, b) => (best === null || b.long + b.short > best.long + best.short ? b : best),
      null,
    );
    const weight = heaviest && openInterest > 0n ? Number(heaviest.long + heaviest.short) / Number(openInterest) : 0;
    const cluster = heaviest && weight >= CLUSTER_SHARE ? `${heaviest.from}-${heaviest.to}` : null;
    if (cluster && cluster !== s.said.cluster)
      insight('liquidation-cluster', {
        summary: `${market}: ${(weight * 100).toFixed(0)} % of open interest liquidates between ${priceText(heaviest!.from)} and ${priceText(heaviest!.to)} (oracle ${priceText(sample.price)})`,
        value: weight,
        formula:
          "Σ base liquidated in the bucket (each account's exact liquidation price) / the larger side's open interest",
        window: `buckets of ${MAP_BUCKET_BPS} bps within ${MAP_RANGE_BPS} bps of the price`,
        threshold: `>= ${CLUSTER_SHARE * 100} % of open interest in one bucket`,
        inputs: {
          from: heaviest!.from.toString(),
          to: heaviest!.to.toString(),
          long: heaviest!.long.toString(),
          short: heaviest!.short.toString(),
          price: sample.price.toString(),
        },
      });
    s.said.cluster = cluster;
    return out;
  }

  /**
   * A venue's reading of a market (read at `at` by MIKEY): our oracle price against the outside reference
   * (the median of every venue's last price), said when it moves beyond OUTSIDE_BASIS_BPS or changes side.
   */
  onOutside(reading: OutsideReading, at: string): Insight[] {
    const marketIndex = DEFAULT_MARKETS.find((m) => m.symbol === reading.market)?.marketIndex;
    if (marketIndex === undefined) return [];
    const s = this.state(marketIndex);
    s.outside.set(reading.venue, reading);
    const ours = s.candles.at(-1)?.close ?? s.samples.at(-1)?.price;
    if (ours === undefined) return [];
    const readings = [...s.outside.values()].sort((a, b) => (a.price < b.price ? -1 : a.price > b.price ? 1 : 0));
    const mid = readings.length >> 1;
    const reference =
      readings.length % 2 ? readings[mid]!.price : (readings[mid - 1]!.price + readings[mid]!.price) / 2n;
    if (reference <= 0n) return [];
    const basis = (Number(ours - reference) / Number(reference)) * 10_000;
    const side = Math.abs(basis) < OUTSIDE_BASIS_BPS ? 0 : basis > 0 ? 1 : -1;
    const out: Insight[] = [];
    const market = reading.market;
    const replayed = readings.some((r) => r.mode === 'replay');
    if (side !== 0 && side !== s.said.outside)
      out.push({
        id: `${market}:outside-basis:${at}`,
        market,
        kind: 'outside-basis',
        at,
        summary: `${market} oracle ${priceText(ours)} is ${Math.abs(basis).toFixed(0)} bps ${side > 0 ? 'above' : 'below'} the outside reference ${priceText(reference)} (${readings.map((r) => r.venue).join(', ')}${replayed ? '; replayed recordings, not live' : ''})`,
        value: basis,
        formula: "(our oracle price - median of the venues' last prices) / that median x 10,000",
        window: "each venue's last reading",
        threshold: `|basis| >= ${OUTSIDE_BASIS_BPS} bps`,
        inputs: {
          ours: ours.toString(),
          reference: reference.toString(),
          ...Object.fromEntries(
            readings.map((r) => [`${r.venue}${r.mode === 'replay' ? ' (replay)' : ''}`, r.price.toString()]),
          ),
        },
      });
    s.said.outside = side;
    return out;
  }

  /** Each venue's latest reading of a market as MIKEY handled it. */
  outsideReadings(marketIndex: number): OutsideReading[] {
    return [...(this.markets.get(marketIndex)?.outside.values() ?? [])];
  }

  /** The market's last sample as MIKEY handled it (the panel's current state), or null before the first. */
  latestSample(marketIndex: number): MarketSample | null {
    return this.markets.get(marketIndex)?.samples.at(-1) ?? null;
  }

  private symbol(marketIndex: number): string {
    return this.symbols.get(marketIndex) ?? `market-${marketIndex}`;
  }

  private assess(marketIndex: number, s: MarketState, closed: Candle[], at: string): Insight[] {
    const market = this.symbol(marketIndex);
    const out: Insight[] = [];
    const returns = logReturns(closed);
    const ewma = ewmaVolatility(returns);
    const parkinson = parkinsonVolatility(closed.slice(-30));
    if (ewma !== null) {
      const regime = regimeOf(ewma);
      // Hysteresis: a change counts once the volatility is 10 % clear of the bound, so a market that hovers
      // at a bound does not flip its label every minute.
      const clear = regimeOf(ewma * 1.1) === regime && regimeOf(ewma / 1.1) === regime;
      if (regime !== s.regime && (s.regime === null || clear)) {
        out.push({
          id: `${market}:volatility-regime:${at}`,
          market,
          kind: 'volatility-regime',
          at,
          summary: `${market} volatility regime ${s.regime ?? 'unknown'} -> ${regime} (EWMA ${(ewma * 100).toFixed(1)} % a year)`,
          value: ewma,
          formula: `EWMA of squared 1-minute log returns (lambda ${EWMA_LAMBDA}), annualized; Parkinson beside it`,
          window: `${returns.length} one-minute returns`,
          threshold: `calm < ${REGIME_BOUNDS.calm * 100} % <= normal < ${REGIME_BOUNDS.stressed * 100} % <= stressed, changes 10 % clear of a bound`,
          inputs: {
            ewma,
            parkinson: parkinson ?? 'n/a',
            candles: closed.length,
            lastClose: closed.at(-1)!.close.toString(),
          },
        });
        s.regime = regime;
      }
    }
    const last = returns.at(-1);
    const z = last === undefined ? null : robustZ(last, returns.slice(-ANOMALY_WINDOW - 1, -1));
    if (z !== null && Math.abs(z) >= ANOMALY_Z) {
      out.push({
        id: `${market}:return-anomaly:${at}`,
        market,
        kind: 'return-anomaly',
        at,
        summary: `${market} moved ${(last! * 100).toFixed(2)} % in a minute, ${z.toFixed(1)} robust deviations from usual`,
        value: z,
        formula: '(return - median) / (1.4826 x MAD) of 1-minute log returns',
        window: `${Math.min(ANOMALY_WINDOW, returns.length - 1)} one-minute returns`,
        threshold: `|z| >= ${ANOMALY_Z}`,
        inputs: { return: last!, open: closed.at(-1)!.open.toString(), close: closed.at(-1)!.close.toString() },
      });
    }
    return out;
  }
}
