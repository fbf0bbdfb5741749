// liquidationBatchWorkflow's branches in seconds (dev server, stub activities): the chain first, then one
// row per liquidated account, its orders cancelled, events and a run record under each account's own key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { CallLog, startWorkflowTestEnv, type WorkflowTestEnv } from '../tests/support/workflow-env';
import type { AccountEpisode, LiquidationRecord } from '../activities/liquidation';
import type { WorkflowRunRecord } from '../activities/bookkeeping/workflow-runs';
import type { WorkflowEvent } from '../domain/workflow-events';
import type { LiquidationBatchResult } from './liquidation-batch-workflow';

const log = new CallLog();
let episodes: AccountEpisode[] = [];
let chainDown = false;
const step = (closedBase: string, fee: string, n: number) => ({
  signature: `step-${n}`,
  closedBase,
  baseAfter: '0',
  collateralAfter: '-5',
  price: '140000000',
  fee,
  at: '2026-11-27T00:00:00.000Z',
});

const activities = {
  ...log.bookkeeping(),
  liquidateAccounts: log.stub('liquidateAccounts', () => {
    if (chainDown)
      throw ApplicationFailure.create({ type: 'RpcUnavailable', message: 'no provider', nonRetryable: true });
    return episodes;
  }),
  recordLiquidations: log.stub('recordLiquidations'),
  cancelRestingOrdersOf: log.stub('cancelRestingOrdersOf'),
};

let t: WorkflowTestEnv;
beforeAll(async () => {
  t = await startWorkflowTestEnv('liquidation-branches', activities);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

const accounts = [
  { account: 'Bankrupt1', wallet: 'W1', seq: '3' },
  { account: 'Healthy2', wallet: 'W2', seq: '1' },
  { account: 'Stale3', wallet: 'W3', seq: '2' },
  { account: 'Broken4', wallet: 'W4', seq: '1' },
];
let n = 0;
const batch = () => {
  log.clear();
  n += 1;
  return t.start('liquidationBatchWorkflow', `liqs:0:test-${n}`, [{ marketIndex: 0, accounts }]);
};
const events = () => (log.of('publishWorkflowEvents') as WorkflowEvent[][]).flat();
const runs = () => (log.of('recordWorkflowRuns') as WorkflowRunRecord[][]).flat();

describe('liquidationBatchWorkflow branches (dev server, stub activities)', () => {
  it('books what the chain did, account by account, under each account business key', async () => {
    chainDown = false;
    episodes = [
      {
        account: 'Bankrupt1',
        seq: '3',
        outcome: 'liquidated',
        steps: [step('250000000', '700', 1), step('750000000', '2100', 2)],
        bankruptcy: {
          deficit: '5',
          insurancePaid: '4',
          socializedLoss: '1',
          signature: 'bk-1',
          at: '2026-11-27T00:00:01.000Z',
        },
      },
      { account: 'Healthy2', seq: '1', outcome: 'healthy', steps: [], bankruptcy: null },
      { account: 'Stale3', seq: '2', outcome: 'stale', steps: [], bankruptcy: null },
      { account: 'Broken4', seq: '1', outcome: 'failed', steps: [], bankruptcy: null, error: 'MathOverflow' },
    ];
    const result = (await (await batch()).result()) as LiquidationBatchResult;
    expect(result.liquidations.map((l) => [l.id, l.status])).toEqual([
      ['liq:Bankrupt1:0:3', 'liquidated'],
      ['liq:Healthy2:0:1', 'healthy'],
      ['liq:Stale3:0:2', 'stale'],
      ['liq:Broken4:0:1', 'failed'],
    ]);
    expect(result.liquidations[0]).toMatchObject({
      steps: 2,
      closedBase: '1000000000',
      fees: '2800',
      insurancePaid: '4',
      socializedLoss: '1',
    });
    // One row for the liquidated account, signed by its bankruptcy; its waiting orders cancelled.
    const [records] = log.of('recordLiquidations') as LiquidationRecord[][];
    expect(records).toEqual([
      expect.objectContaining({
        id: 'liq:Bankrupt1:0:3',
        wallet: 'W1',
        signature: 'bk-1',
        fee: '2800',
        steps: 2,
        liquidationSeq: '3',
      }),
    ]);
    expect(log.of('cancelRestingOrdersOf')).toEqual([['Bankrupt1']]);
    // Events on each account's own stream; the stale episode was another run's: nothing said, no run record.
    expect(new Set(events().map((e) => e.account))).toEqual(new Set(['Bankrupt1', 'Broken4']));
    expect(
      events()
        .filter((e) => e.account === 'Broken4')
        .map((e) => `${e.step}:${e.status}`),
    ).toEqual(['liquidated:failed']);
    expect(runs().map((r) => [r.businessKey, r.status])).toEqual([
      ['liq:Bankrupt1:0:3', 'completed'],
      ['liq:Healthy2:0:1', 'completed'],
      ['liq:Broken4:0:1', 'failed'],
    ]);
  });

  it('records every account as failed when the chain work gives up, and fails the batch', async () => {
    chainDown = true;
    const err = await (await batch()).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(log.of('recordLiquidations')).toEqual([]);
    expect(runs().map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(events().every((e) => e.step === 'liquidated' && e.status === 'failed')).toBe(true);
  });
});
