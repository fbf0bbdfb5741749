import { DEFAULT_MARKETS } from '../../domain/perp';
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
  type Candle,
  type Regime,
} from './signals';

/**
 * One insight: what fired, with everything needed to check it by hand — its inputs, the formula, the
 * window and the threshold. `id` is deterministic (market, kind, time), so a replay writes the same rows.
 */
export interface Insight {
  id: string;
  market: string;
  kind: 'volatility-regime' | 'return-anomaly' | 'liquidation-cascade';
  at: string;
  summary: string;
  value: number;
  formula: string;
  window: string;
  threshold: string;
  inputs: Record<string, string | number>;
}

/** Candles kept per market (two hours), and the returns window of the anomaly check. */
const CANDLES_KEPT = 120;
const ANOMALY_WINDOW = 60;

interface MarketState {
  candles: Candle[];
  regime: Regime | null;
  liquidations: number[];
  /** The end of the last cascade reported, so one cascade is one insight. */
  cascadeUntil: number;
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
    if (!s) this.markets.set(marketIndex, (s = { candles: [], regime: null, liquidations: [], cascadeUntil: 0 }));
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
