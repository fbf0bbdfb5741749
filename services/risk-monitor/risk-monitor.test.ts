import { describe, expect, it, vi } from 'vitest';
import type { Client } from '@temporalio/client';
import type { RpcPool } from '../../solana/rpc-pool';
import type { WorkflowEvent } from '../../domain/workflow-events';
import { liquidationEvent } from '../../workflows/liquidation-events';
import { RiskMonitor } from './risk-monitor';

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
