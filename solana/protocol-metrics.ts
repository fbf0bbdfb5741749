import { PublicKey } from '@solana/web3.js';
import { Gauge, type Registry } from 'prom-client';
import { BPS_PRECISION, FUNDING_RATE_PRECISION, type MarketParams } from '../domain/perp';
import { sharedRefresh } from '../platform/metrics';
import { fetchMarket, fetchPools } from './accounts';
import { paramsOf } from './margin-account';
import { oracleKindOf, readOraclePrice } from './pyth-reader';
import type { RpcPool } from './rpc-pool';

/**
 * The protocol and its oracles as the chain holds them, read at each scrape (ARCHITECTURE §9): the
 * insurance fund and the PnL pool (QUOTE units, 1e-6 USDC), open interest per market and side (BASE units,
 * 1e-9), the last funding rate (per hour), the oracle's age in slots and confidence in bps of its price
 * beside the market's own limits, and the keeper's SOL. Amounts are exported as the integers the chain
 * holds; a dashboard scales them. A read that fails leaves its series out of that scrape (and
 * `qd_protocol_read_ok` 0), so an alert never sees a made-up value: every series here has a label, since
 * prom-client writes a label-less gauge as 0 when it has no value.
 */
export function registerProtocolMetrics(
  registry: Registry,
  pool: RpcPool,
  markets: readonly Pick<MarketParams, 'marketIndex' | 'symbol'>[],
  keeper: PublicKey | null,
): void {
  const gauges: Gauge[] = [];
  const gauge = (name: string, help: string, labelNames: string[] = []) => {
    const metric = new Gauge({ name, help, labelNames, registers: [registry], collect: () => read() });
    gauges.push(metric);
    return metric;
  };
  const readOk = gauge('qd_protocol_read_ok', '1 when the last scrape read the protocol from chain in full');
  const seconds = gauge('qd_protocol_read_seconds', 'Time the last scrape took to read the protocol from chain');
  const pools = gauge(
    'qd_protocol_pool_quote',
    'The insurance fund and the PnL pool (pool="insurance" | "pnl"), QUOTE units (the PnL pool is negative while it fronts a loss)',
    ['pool'],
  );
  const openInterest = gauge('qd_protocol_open_interest_base', 'Open interest, BASE units (1e-9)', ['market', 'side']);
  const funding = gauge('qd_protocol_funding_rate_per_hour', 'Last funding rate per hour (0.0001 = 0.01 %)', [
    'market',
  ]);
  const paused = gauge('qd_protocol_market_paused', '1 while a market is paused', ['market']);
  const oracleAge = gauge('qd_oracle_age_slots', "Slots since the oracle's last publish", ['market']);
  const oracleMaxAge = gauge('qd_oracle_max_age_slots', 'Oldest oracle the market accepts, slots', ['market']);
  const confidence = gauge('qd_oracle_confidence_bps', 'Oracle confidence interval, bps of its price', ['market']);
  const maxConfidence = gauge('qd_oracle_max_confidence_bps', 'Widest confidence the market accepts, bps', ['market']);
  const trading = gauge('qd_oracle_trading', '1 while the oracle reports a trading status', ['market']);
  const keeperSol = gauge('qd_keeper_balance_lamports', "The keeper's SOL balance, lamports (it pays every fee)", [
    'keeper',
  ]);

  const read = sharedRefresh(async () => {
    const started = performance.now();
    for (const metric of gauges) metric.reset();
    try {
      const [held, slot] = await Promise.all([
        fetchPools(pool),
        pool.call('read the slot', (c) => c.getSlot('confirmed')),
      ]);
      pools.set({ pool: 'insurance' }, Number(held.insuranceFund));
      pools.set({ pool: 'pnl' }, Number(held.pnlPool));
      if (keeper)
        keeperSol.set(
          { keeper: keeper.toBase58() },
          await pool.call("read the keeper's balance", (c) => c.getBalance(keeper)),
        );
      for (const { marketIndex, symbol: market } of markets) {
        const decoded = await fetchMarket(pool, marketIndex);
        const params = paramsOf(decoded);
        openInterest.set({ market, side: 'long' }, Number(BigInt(decoded.longOpenInterest.toString())));
        openInterest.set({ market, side: 'short' }, Number(BigInt(decoded.shortOpenInterest.toString())));
        funding.set({ market }, Number(BigInt(decoded.lastFundingRate.toString())) / Number(FUNDING_RATE_PRECISION));
        paused.set({ market }, decoded.paused ? 1 : 0);
        const reading = await readOraclePrice(pool, new PublicKey(decoded.oracle.toBase58()), oracleKindOf(decoded));
        oracleAge.set({ market }, Math.max(0, slot - Number(reading.publishSlot)));
        oracleMaxAge.set({ market }, Number(params.oracleMaxStaleSlots));
        // bps rounded up, as the program's guard compares: a confidence past the limit never reads as at it.
        const bps = reading.price > 0n ? ceilDiv(reading.confidence * BPS_PRECISION, reading.price) : 0n;
        confidence.set({ market }, Number(bps));
        maxConfidence.set({ market }, Number(params.oracleMaxConfidenceBps));
        trading.set({ market }, reading.trading ? 1 : 0);
      }
      readOk.set(1);
    } catch {
      readOk.set(0);
    }
    seconds.set((performance.now() - started) / 1000);
  });
}

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
