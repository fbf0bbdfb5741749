// fundingSettlementWorkflow's branches in seconds (dev server, stub activities): one crank per period,
// payments in batches, continue-as-new when Temporal suggests it, the hourly schedule's child found once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { CallLog, startWorkflowTestEnv, type WorkflowTestEnv } from '../tests/support/workflow-env';
import { FUNDING_BATCH } from './funding-workflow';

const log = new CallLog();
/** Positions of the book the stub pages through. */
let bookSize = 0;

const activities = {
  ...log.bookkeeping(),
  readFundingIndex: log.stub('readFundingIndex', () => '1000'),
  crankFunding: log.stub('crankFunding', () => ({
    signature: 'crank-sig',
    rate: '5',
    previousIndex: '1000',
    cumulativeIndex: '1005',
    crankTs: '3600',
  })),
  recordFundingRate: log.stub('recordFundingRate'),
  recordFundingPayments: log.stub('recordFundingPayments', (r: { afterAccount: string | null; limit: number }) => {
    const from = r.afterAccount === null ? 0 : Number(r.afterAccount.slice(1)) + 1;
    const written = Math.max(0, Math.min(r.limit, bookSize - from));
    return { written, lastAccount: written ? `a${from + written - 1}` : null };
  }),
};

let t: WorkflowTestEnv;
beforeAll(async () => {
  // A short history budget, so that Temporal suggests continuing as new after a few batches.
  t = await startWorkflowTestEnv('funding-branches', activities, [
    '--dynamic-config-value',
    'limit.historyCount.suggestContinueAsNew=60',
  ]);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

let hour = 500_000;
const settle = (size: number) => {
  bookSize = size;
  log.clear();
  hour += 1;
  const workflowId = `funding:0:${hour}`;
  return {
    workflowId,
    handle: t.start('fundingSettlementWorkflow', workflowId, [{ marketIndex: 0, epoch: String(hour) }]),
  };
};

describe('fundingSettlementWorkflow branches (dev server, stub activities)', () => {
  it('cranks once, records the rate and every payment of a small book', async () => {
    const { workflowId, handle } = settle(7);
    expect(await (await handle).result()).toEqual({ rate: '5', cumulativeIndex: '1005', payments: 7 });
    expect(log.of('crankFunding')).toEqual([{ marketIndex: 0, previousIndex: '1000', epoch: String(hour) }]);
    expect(await t.stepsOf(workflowId)).toEqual(
      ['cranked', 'rate-recorded', 'payments-0'].map((s) => `${s}:completed`),
    );
  });

  it('continues as new when Temporal suggests it, without cranking again, and books every position once', async () => {
    const size = 40 * FUNDING_BATCH + 3;
    const { workflowId, handle } = settle(size);
    const h = await handle;
    expect(await h.result()).toEqual({ rate: '5', cumulativeIndex: '1005', payments: size });
    expect(log.of('crankFunding')).toHaveLength(1);
    const pages = log.of('recordFundingPayments') as { afterAccount: string | null }[];
    expect(pages).toHaveLength(41);
    expect(new Set(pages.map((p) => p.afterAccount)).size).toBe(41); // each page once, resumed where it stopped
    const runs = [];
    for await (const run of t.env.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push(run);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.length).toBeLessThan(41);
  }, 60_000);

  it('refuses a period that is not a unix hour', async () => {
    const h = await t.start('fundingSettlementWorkflow', 'funding:0:bad', [{ marketIndex: 0, epoch: 'soon' }]);
    const err = await h.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as ApplicationFailure).type).toBe('InvalidInput');
  });

  it('settles a period once however often the schedule fires in its hour', async () => {
    bookSize = 2;
    const first = await (await t.start('fundingScheduleWorkflow', 'funding-run:0:a', [{ marketIndex: 0 }])).result();
    const second = await (await t.start('fundingScheduleWorkflow', 'funding-run:0:b', [{ marketIndex: 0 }])).result();
    expect(first).toMatchObject({ payments: 2 });
    expect(second).toEqual({ alreadySettled: expect.stringMatching(/^funding:0:\d+$/) });
  });
});
