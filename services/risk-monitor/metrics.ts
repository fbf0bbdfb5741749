import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MarketParams } from '../../domain/perp';
import { sharedRefresh } from '../../platform/metrics';
import type { RiskMonitor, TickOutcome } from './risk-monitor';

export type TickSource = 'stream' | 'chain';

/**
 * The risk monitor's metrics (ARCHITECTURE §9): ticks handled (by source, with their handling time and,
 * for stream ticks, the lag from publish to handling), liquidations started, and at each scrape the book:
 * accounts followed, resting orders indexed, and per market the accounts under water and how long the
 * oldest of them has been (the liquidation backlog alerts read).
 */
export function createMonitorMetrics(
  registry: Registry,
  monitor: RiskMonitor,
  markets: readonly Pick<MarketParams, 'marketIndex' | 'symbol'>[],
  now: () => number,
) {
  const symbolOf = new Map(markets.map((m) => [m.marketIndex, m.symbol]));
  const market = (marketIndex: number) => symbolOf.get(marketIndex) ?? String(marketIndex);
  const ticks = new Histogram({
    name: 'qd_risk_monitor_tick_duration_seconds',
    help: 'Price ticks handled (liquidations started, crossed orders queued), by market and source',
    labelNames: ['market', 'source'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'qd_risk_monitor_tick_lag_seconds',
    help: "From a stream tick's publish to the monitor handling it",
    labelNames: ['market'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const lastTick = new Gauge({
    name: 'qd_risk_monitor_last_tick_timestamp_seconds',
    help: 'When the monitor last handled a tick of the market (Unix seconds)',
    labelNames: ['market'] as const,
    registers: [registry],
  });
  const started = new Counter({
    name: 'qd_risk_monitor_liquidations_started_total',
    help: 'Accounts whose liquidation the monitor started, by market',
    labelNames: ['market'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'qd_risk_monitor_accounts',
    help: 'Sub-accounts in the risk book',
    registers: [registry],
    collect() {
      this.set(monitor.book.size);
    },
  });
  new Gauge({
    name: 'qd_risk_monitor_resting_orders',
    help: 'Waiting orders in the trigger index',
    registers: [registry],
    collect() {
      this.set(monitor.triggers.size);
    },
  });
  // The backlog is measured once per scrape, for both gauges.
  const backlog = sharedRefresh(async () => {
    for (const b of monitor.backlog(now())) {
      underwater.set({ market: market(b.marketIndex) }, b.underwater);
      oldest.set({ market: market(b.marketIndex) }, b.oldestMs / 1000);
    }
  });
  const underwater = new Gauge({
    name: 'qd_risk_monitor_accounts_under_water',
    help: 'Accounts below maintenance margin at the last price, by market',
    labelNames: ['market'] as const,
    registers: [registry],
    collect: backlog,
  });
  const oldest = new Gauge({
    name: 'qd_risk_monitor_oldest_under_water_seconds',
    help: 'How long the longest-waiting account under water has been (0: none), by market',
    labelNames: ['market'] as const,
    registers: [registry],
    collect: backlog,
  });

  return {
    /** A tick handled: `seconds` it took, `publishedAt` (ms) when the feed published it (stream ticks). */
    tick(marketIndex: number, source: TickSource, seconds: number, outcome: TickOutcome, publishedAt?: number) {
      const labels = { market: market(marketIndex) };
      ticks.observe({ ...labels, source }, seconds);
      lastTick.set(labels, now() / 1000);
      if (publishedAt !== undefined) lag.observe(labels, Math.max(0, now() - publishedAt) / 1000);
      const accounts = outcome.liquidations.reduce((n, b) => n + b.liquidations.length, 0);
      if (accounts) started.inc(labels, accounts);
    },
  };
}
