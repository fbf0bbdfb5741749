import { Gauge, Histogram, type Registry } from 'prom-client';
import { secondsOf, sharedRefresh } from '../platform/metrics';
import { RpcPool } from './rpc-pool';

const CIRCUIT_STATES = ['closed', 'half-open', 'open'] as const;

/**
 * An RPC pool whose providers are measured (ARCHITECTURE §9): request latency and failures as they happen,
 * and at each scrape every provider's slot (asked then, so slot lag is current), lag and circuit state.
 * Providers are labelled by their index in QD_SOLANA_RPC_URLS, never by URL: a URL may carry an API key.
 * Every service builds its pool here from its configuration (URLs, calls per batch request), on the wall clock.
 */
export function measuredRpcPool(
  registry: Registry,
  solana: { rpcUrls: string[]; rpcCallsPerRequest: number },
): RpcPool {
  const latency = new Histogram({
    name: 'qd_rpc_request_duration_seconds',
    help: 'RPC requests by provider (index in QD_SOLANA_RPC_URLS) and outcome',
    labelNames: ['provider', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const pool = new RpcPool(solana.rpcUrls, {
    now: () => Date.now(),
    callsPerRequest: solana.rpcCallsPerRequest,
    onRequest: (provider, ms, ok) =>
      latency.observe({ provider: String(provider), outcome: ok ? 'ok' : 'error' }, secondsOf(ms)),
  });
  // Every provider's slot is asked once per scrape, before the gauges below are written out.
  const refresh = sharedRefresh(async () => {
    await pool.refreshHealth();
    slot.reset();
    for (const [i, m] of pool.metrics().entries()) {
      const provider = String(i);
      if (m.slot !== null) slot.set({ provider }, m.slot);
      lag.set({ provider }, m.slotLag);
      for (const state of CIRCUIT_STATES) circuit.set({ provider, state }, m.circuit === state ? 1 : 0);
    }
  });
  const slot = new Gauge({
    name: 'qd_rpc_provider_slot',
    help: "Each provider's slot, asked at scrape time (absent: it did not answer)",
    labelNames: ['provider'] as const,
    registers: [registry],
    collect: refresh,
  });
  const lag = new Gauge({
    name: 'qd_rpc_provider_slot_lag',
    help: 'Slots each provider is behind the best one',
    labelNames: ['provider'] as const,
    registers: [registry],
    collect: refresh,
  });
  const circuit = new Gauge({
    name: 'qd_rpc_provider_circuit',
    help: "1 for each provider's current circuit state (closed, half-open, open)",
    labelNames: ['provider', 'state'] as const,
    registers: [registry],
    collect: refresh,
  });
  return pool;
}
