// The chaos suite's short version (npm run chaos runs the full one): every scenario once, on a small load,
// on a private stack. Each must end with every workflow closed once, one row per business key, the books
// reconciled with the chain and vault = collateral + insurance + PnL pool.
import { describe, expect, it } from 'vitest';
import { runChaos, SCENARIOS } from '../../chaos/chaos';

describe('chaos, short', () => {
  // Once in about seven runs here a crash's two accounts were not liquidated within the two minutes (cause not
  // found yet; the processes' logs of a failed run go to test-results/chaos/): one retry, so that twice is a failure.
  it(
    'survives a killed worker, a Temporal restart, Postgres and Redis outages and flapping RPC providers',
    { timeout: 900_000, retry: 1 },
    async () => {
      const { scenarios } = await runChaos({
        traders: 4,
        ordersPerTrader: 3,
        probes: 40,
        liquidations: 2,
        postgresDownMs: 3_000,
        redisDownMs: 5_000,
        rpcFlapMs: 4_000,
        inFlightAtKill: 20,
        recoverWithinMs: 120_000,
        log: process.env.QD_TEST_LOG_LEVEL === 'debug' ? (m) => console.error(m) : undefined,
        logsDir: 'test-results/chaos',
      });
      expect(scenarios.map((s) => s.scenario)).toEqual([...SCENARIOS]);
      for (const s of scenarios) {
        expect(s.workflows.completed + s.workflows.failed, s.scenario).toBe(s.workflows.started);
        expect(s.exactlyOnce, s.scenario).toEqual({ missingRows: 0, unexpectedRows: 0, fillsPerOrderMax: 1 });
        expect(s.reconciliation.differences, s.scenario).toBe(0);
        expect(s.reconciliation.vault, s.scenario).toBe(s.reconciliation.collateralPlusPools);
        expect(s.liquidations.stillUnderWater, s.scenario).toBe(0);
        expect(s.liquidations.rows, s.scenario).toBeGreaterThanOrEqual(s.liquidations.accounts);
      }
      expect(scenarios.find((s) => s.scenario === 'worker-kill')!.inFlightAtFault).toBeGreaterThanOrEqual(20);
      expect(scenarios.every((s) => s.ok)).toBe(true);
    },
  );
});
