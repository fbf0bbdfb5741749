import { describe, expect, it, vi } from 'vitest';
import type { Client } from '@temporalio/client';
import type { RpcPool } from '../../solana/rpc-pool';
import type { WorkflowEvent } from '../../domain/workflow-events';
import { liquidationEvent } from '../../workflows/liquidation-events';
import { LIQUIDATION_BATCH_SIZE, RiskMonitor, startLiquidations } from './risk-monitor';

// A unit test of one module: the chain reads are stubbed; the integration suite runs the monitor for real.
function monitorWithSpies() {
  const monitor = new RiskMonitor({ pool: {} as RpcPool, temporal: {} as Client, taskQueue: 'q' });
  const refreshMarket = vi.spyOn(monitor.book, 'refreshMarket').mockResolvedValue();
  const refreshAccounts = vi.spyOn(monitor.book, 'refreshAccounts').mockResolvedValue();
  return { monitor, refreshMarket, refreshAccounts };
}

const at = '2026-11-27T00:00:00.000Z';
const episode = { workflowId: 'liqs:1:abc', id: 'liq:Acct1111:1:4', account: 'Acct1111' };

describe('RiskMonitor.onEvents', () => {
  it('re-reads the market whose index a bankruptcy moved, and the bankrupt account', async () => {
    const { monitor, refreshMarket, refreshAccounts } = monitorWithSpies();
    await monitor.onEvents([
      liquidationEvent(episode, 'liquidated-0', 'completed', at),
      liquidationEvent(episode, 'bankruptcy-resolved', 'completed', at),
    ]);
    expect(refreshMarket.mock.calls.map((c) => c[1])).toEqual([1]);
    expect(refreshAccounts.mock.calls.map((c) => c[1])).toEqual([['Acct1111']]);
  });

  it('leaves the market alone for a liquidation without a bankruptcy, and re-reads a funded market', async () => {
    const { monitor, refreshMarket } = monitorWithSpies();
    await monitor.onEvents([liquidationEvent(episode, 'liquidated-0', 'completed', at)]);
    expect(refreshMarket).not.toHaveBeenCalled();
    const funding: WorkflowEvent = {
      eventKey: 'k',
      workflowId: 'funding:2:500000',
      kind: 'funding',
      account: 'market-2',
      step: 'cranked',
      status: 'completed',
      at,
    };
    await monitor.onEvents([funding]);
    expect(refreshMarket.mock.calls.map((c) => c[1])).toEqual([2]);
  });
});

describe('RiskMonitor.onEvents after the chain work', () => {
  it("re-reads nothing for a liquidation's bookkeeping steps (its chain steps' events did)", async () => {
    const { monitor, refreshAccounts } = monitorWithSpies();
    await monitor.onEvents([
      liquidationEvent(episode, 'recorded', 'completed', at),
      liquidationEvent(episode, 'orders-cancelled', 'completed', at),
    ]);
    expect(refreshAccounts).not.toHaveBeenCalled();
    await monitor.onEvents([liquidationEvent(episode, 'liquidated', 'failed', at, { error: 'gave up' })]);
    expect(refreshAccounts.mock.calls.map((c) => c[1])).toEqual([['Acct1111']]);
  });
});

describe('RiskMonitor.backlog', () => {
  it('ages each account under water from the first call that saw it, and forgets it once it is not', () => {
    const { monitor } = monitorWithSpies();
    const under = vi.spyOn(monitor.book, 'underwater');
    const u = (account: string) =>
      ({ account, wallet: 'W', seq: '0' }) as ReturnType<typeof monitor.book.underwater>[0];
    under.mockImplementation((m) => (m === 0 ? [u('A')] : []));
    expect(monitor.backlog(1_000).find((b) => b.marketIndex === 0)).toEqual({
      marketIndex: 0,
      underwater: 1,
      oldestMs: 0,
    });
    under.mockImplementation((m) => (m === 0 ? [u('A'), u('B')] : []));
    expect(monitor.backlog(6_000).find((b) => b.marketIndex === 0)).toEqual({
      marketIndex: 0,
      underwater: 2,
      oldestMs: 5_000,
    });
    // A liquidated: B is now the oldest; a market with nobody under water has no backlog.
    under.mockImplementation((m) => (m === 0 ? [u('B')] : []));
    const later = monitor.backlog(8_000);
    expect(later.find((b) => b.marketIndex === 0)).toEqual({ marketIndex: 0, underwater: 1, oldestMs: 2_000 });
    expect(later.find((b) => b.marketIndex === 1)).toEqual({ marketIndex: 1, underwater: 0, oldestMs: 0 });
  });
});

describe('RiskMonitor.onTick', () => {
  it('does not value an account again while its liquidation runs, and re-reads it once an event names it', async () => {
    const start = vi.fn().mockResolvedValue({});
    const monitor = new RiskMonitor({
      pool: {} as RpcPool,
      temporal: { workflow: { start } } as unknown as Client,
      taskQueue: 'q',
    });
    const refreshAccounts = vi.spyOn(monitor.book, 'refreshAccounts').mockResolvedValue();
    const skipped: boolean[] = [];
    // One account under water in market 1, episode 4, whatever the price: the book's valuation is not under test.
    vi.spyOn(monitor.book, 'underwater').mockImplementation((m, skip) => {
      const skip4 = m === 1 && (skip?.('Acct1111', '4') ?? false);
      if (m === 1) skipped.push(skip4);
      return m === 1 && !skip4 ? [{ account: 'Acct1111', wallet: 'W', seq: '4' }] : [];
    });
    expect((await monitor.onTick(1, 100n, 0, { relayToOrders: false })).liquidations).toHaveLength(1);
    expect((await monitor.onTick(1, 99n, 250, { relayToOrders: false })).liquidations).toEqual([]);
    expect(skipped).toEqual([false, true]);
    expect(refreshAccounts).not.toHaveBeenCalled();
    // Its step's event came: asked again, it is read first (the chain may have closed it already).
    await monitor.onEvents([liquidationEvent(episode, 'liquidated-0', 'completed', at)]);
    refreshAccounts.mockClear();
    await monitor.onTick(1, 98n, 500, { relayToOrders: false });
    expect(refreshAccounts.mock.calls.map((c) => c[1])).toEqual([['Acct1111']]);
    expect(start).toHaveBeenCalledTimes(2);
  });
});

describe('startLiquidations', () => {
  it('splits a batch whose QdAccounts the server refuses as too large, and batches that size from then on', async () => {
    // A server at Temporal's default limit (2 KB per value): at most 43 accounts of 47 bytes.
    const starts: number[] = [];
    const start = vi.fn(async (_name: string, options: { typedSearchAttributes: { value: unknown }[] }) => {
      const accounts = options.typedSearchAttributes[0]!.value as string[];
      starts.push(accounts.length);
      if (accounts.length * 47 > 2048)
        throw new Error('Failed to start Workflow', {
          cause: Object.assign(new Error('3 INVALID_ARGUMENT'), {
            code: 3,
            details: `search attribute QdAccounts value size ${accounts.length * 47} exceeds size limit 2048`,
          }),
        });
      return {};
    });
    const deps = { pool: {} as RpcPool, temporal: { workflow: { start } } as unknown as Client, taskQueue: 'q' };
    const under = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ account: `Acct${String(i).padStart(40, '0')}`, wallet: 'W', seq: '1' }));
    const first = await startLiquidations(deps, 1, under(LIQUIDATION_BATCH_SIZE));
    expect(first.flatMap((b) => b.liquidations)).toHaveLength(LIQUIDATION_BATCH_SIZE);
    expect(first.every((b) => b.liquidations.length * 47 <= 2048)).toBe(true);
    starts.length = 0;
    const second = await startLiquidations(deps, 1, under(LIQUIDATION_BATCH_SIZE));
    expect(second.flatMap((b) => b.liquidations)).toHaveLength(LIQUIDATION_BATCH_SIZE);
    expect(starts.every((n) => n * 47 <= 2048)).toBe(true); // no refused start the second time
    // Anything else the server refuses is the caller's to see.
    start.mockRejectedValueOnce(new Error('unavailable'));
    await expect(startLiquidations(deps, 1, under(1))).rejects.toThrow('unavailable');
  });
});
