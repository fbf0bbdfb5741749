// placeOrderWorkflow's branches in seconds (dev server, stub activities: tests/support/workflow-env.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import type { OrderWire } from '../activities/orders';
import {
  amendOrderUpdate,
  cancelOrderUpdate,
  PROGRAM_REJECTION,
  priceTickSignal,
  QdStatus,
  startAttributes,
} from './definitions';
import type { PlaceOrderInput, PlaceOrderResult } from './place-order-workflow';
import { startWorkflowTestEnv, type WorkflowTestEnv } from '../tests/support/workflow-env';
import { createOrderStepActivities } from '../activities/order-steps';

/** What the stub activities were asked, in order. */
const calls: { name: string; input: unknown }[] = [];
const stubs = {
  refuseNext: null as string | null,
  failFill: null as ApplicationFailure | null,
};
const called = (name: string) => calls.filter((c) => c.name === name);
const record = (name: string) => async (input: unknown) => {
  calls.push({ name, input });
};

/** The single-purpose activities, stubbed; the order's combined steps are built from them as the worker builds them. */
const parts = {
  recordWorkflowRun: record('recordWorkflowRun'),
  recordWorkflowRuns: record('recordWorkflowRuns'),
  publishWorkflowEvent: record('publishWorkflowEvent'),
  publishWorkflowEvents: record('publishWorkflowEvents'),
  async verifyOrderSignature(input: PlaceOrderInput) {
    calls.push({ name: 'verifyOrderSignature', input });
    if (input.signature === 'bad')
      throw ApplicationFailure.create({ type: 'InvalidOrderSignature', message: 'not signed', nonRetryable: true });
    return { account: input.order.user, wallet: input.authority, subAccountId: 0 };
  },
  async preTradeCheck(order: OrderWire, options: { limit?: boolean }) {
    calls.push({ name: 'preTradeCheck', input: options });
    const refusal = stubs.refuseNext;
    stubs.refuseNext = null;
    if (refusal)
      throw ApplicationFailure.create({
        type: refusal,
        message: `refused: ${refusal}`,
        nonRetryable: true,
        details: [PROGRAM_REJECTION],
      });
    return { estimatedPrice: order.limitPrice, oraclePrice: order.limitPrice };
  },
  async submitFill(input: PlaceOrderInput) {
    calls.push({ name: 'submitFill', input });
    if (stubs.failFill) throw stubs.failFill;
    return {
      signature: `sig-${input.clientOrderId}`,
      baseAmount: input.order.baseAmount,
      price: '150000000',
      fee: '1',
      realizedPnl: '0',
    };
  },
  recordOrderFill: record('recordOrderFill'),
  recordOrderRejected: record('recordOrderRejected'),
  recordOrderResting: record('recordOrderResting'),
  recordOrderTrigger: record('recordOrderTrigger'),
  recordOrderClosed: record('recordOrderClosed'),
};
const activities = { ...parts, ...createOrderStepActivities(parts) };

let t: WorkflowTestEnv;
beforeAll(async () => {
  t = await startWorkflowTestEnv('order-branches', activities);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

let n = 0;
function order(
  kind: PlaceOrderInput['kind'],
  extra: Partial<OrderWire> & { triggerPrice?: string } = {},
): { input: PlaceOrderInput; workflowId: string } {
  n += 1;
  const { triggerPrice, ...wire } = extra;
  const input: PlaceOrderInput = {
    order: {
      user: 'User1111111111111111111111111111111111111',
      marketIndex: 0,
      baseAmount: '1000000000',
      limitPrice: '151000000',
      reduceOnly: false,
      nonce: String(n),
      expiryTs: '4000000000',
      ...wire,
    },
    authority: 'Wallet111111111111111111111111111111111111',
    signature: 'c2ln',
    kind,
    clientOrderId: `c-${n}`,
    ...(triggerPrice ? { triggerPrice } : {}),
  };
  return { input, workflowId: `order:${input.order.user}:${input.clientOrderId}` };
}

const start = (o: { input: PlaceOrderInput; workflowId: string }) =>
  t.start('placeOrderWorkflow', o.workflowId, [o.input]);
const stepsOf = (workflowId: string) => t.stepsOf(workflowId);
const waitForStep = (workflowId: string, step: string) => t.waitForStep(workflowId, step);

describe('placeOrderWorkflow branches (dev server, stub activities)', () => {
  it('fills a market order: checks with the limit, one fill, its rows', async () => {
    calls.length = 0;
    const o = order('market');
    expect(await (await start(o)).result()).toEqual({
      status: 'filled',
      signature: `sig-${o.input.clientOrderId}`,
      price: '150000000',
    });
    expect(called('preTradeCheck').map((c) => c.input)).toEqual([{ limit: true }]);
    expect(called('submitFill')).toHaveLength(1);
    expect(called('recordOrderFill')).toHaveLength(1);
    expect(await stepsOf(o.workflowId)).toEqual([
      'verified:completed',
      'risk-checked:completed',
      'filled:completed',
      'recorded:completed',
    ]);
  });

  it('runs a market order in one workflow task of three local activities, each step told in order', async () => {
    calls.length = 0;
    const o = order('market');
    await (await start(o)).result();
    const history = await t.env.client.workflow.getHandle(o.workflowId).fetchHistory();
    const events = history.events ?? [];
    const localActivities = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(localActivities).toHaveLength(3);
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    expect(events.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    const published = called('publishWorkflowEvents').flatMap((c) => c.input as { step: string; status: string }[]);
    expect(published.map((e) => `${e.step}:${e.status}`)).toEqual([
      'verified:completed',
      'risk-checked:completed',
      'filled:completed',
      'recorded:completed',
    ]);
    expect(called('recordWorkflowRun').map((c) => (c.input as { status: string }).status)).toEqual([
      'running',
      'completed',
    ]);
    const handle = t.env.client.workflow.getHandle(o.workflowId);
    expect((await handle.describe()).typedSearchAttributes.get(QdStatus)).toBe('completed');
  });

  it("writes the account and market attributes only when the start did not carry them (the API's start does)", async () => {
    /** The attributes each upsert of the run wrote, in order. */
    const upserts = async (workflowId: string) =>
      ((await t.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).flatMap((e) => {
        const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
        return fields ? [Object.keys(fields).sort().join(',')] : [];
      });
    const bare = order('market');
    await (await start(bare)).result();
    const asApi = order('market');
    await t.env.client.workflow.execute('placeOrderWorkflow', {
      taskQueue: t.taskQueue,
      workflowId: asApi.workflowId,
      args: [asApi.input],
      typedSearchAttributes: startAttributes('order', asApi.input.order.user, asApi.input.order.marketIndex),
    });
    // patched() writes TemporalChangeVersion; the run's end, QdStatus.
    expect(await upserts(bare.workflowId)).toEqual(['TemporalChangeVersion', 'QdAccount,QdMarket', 'QdStatus']);
    expect(await upserts(asApi.workflowId)).toEqual(['TemporalChangeVersion', 'QdStatus']);
  });

  it('fails an order whose signature does not verify at its first step, nothing checked or sent', async () => {
    calls.length = 0;
    const o = order('market');
    o.input.signature = 'bad';
    await expect((await start(o)).result()).rejects.toThrow();
    expect(called('preTradeCheck')).toHaveLength(0);
    expect(called('submitFill')).toHaveLength(0);
    expect(await stepsOf(o.workflowId)).toEqual(['verified:failed']);
    expect((await t.env.client.workflow.getHandle(o.workflowId).describe()).typedSearchAttributes.get(QdStatus)).toBe(
      'failed',
    );
  });

  it("ends an order the pre-trade rule refuses as rejected with the program's reason, nothing sent", async () => {
    calls.length = 0;
    stubs.refuseNext = 'SlippageExceeded';
    const o = order('market');
    expect(await (await start(o)).result()).toEqual({ status: 'rejected', reason: 'SlippageExceeded' });
    expect(called('submitFill')).toHaveLength(0);
    expect(called('recordOrderRejected').map((c) => (c.input as { reason: string }).reason)).toEqual([
      'SlippageExceeded',
    ]);
  });

  it('ends a fill the program refuses as rejected on its first attempt', async () => {
    calls.length = 0;
    stubs.failFill = ApplicationFailure.create({
      type: 'OrderNonceReused',
      message: 'refused',
      nonRetryable: true,
      details: [PROGRAM_REJECTION],
    });
    try {
      const o = order('market');
      expect(await (await start(o)).result()).toEqual({ status: 'rejected', reason: 'OrderNonceReused' });
      expect(called('submitFill')).toHaveLength(1);
    } finally {
      stubs.failFill = null;
    }
  });

  it("fails the run on a failure that is not the program's refusal", async () => {
    stubs.failFill = ApplicationFailure.create({
      type: 'KeeperNotConfigured',
      message: 'no keeper',
      nonRetryable: true,
    });
    try {
      const o = order('market');
      await expect((await start(o)).result()).rejects.toThrow();
      expect((await t.env.client.workflow.getHandle(o.workflowId).describe()).typedSearchAttributes.get(QdStatus)).toBe(
        'failed',
      );
    } finally {
      stubs.failFill = null;
    }
  });

  it('rests a limit order (its row, no limit at placement), moves it on amend, ignores a tick short of it, fills on the one that crosses', async () => {
    calls.length = 0;
    const o = order('limit', { limitPrice: '149000000', triggerPrice: '149000000' });
    const handle = await start(o);
    await waitForStep(o.workflowId, 'resting');
    expect(called('preTradeCheck').map((c) => c.input)).toEqual([{ limit: false }]);
    expect(called('recordOrderResting')).toHaveLength(1);
    expect(await handle.executeUpdate(amendOrderUpdate, { args: [{ triggerPrice: '148000000' }] })).toEqual({
      triggerPrice: '148000000',
    });
    expect(called('recordOrderTrigger').map((c) => (c.input as { triggerPrice: string }).triggerPrice)).toEqual([
      '148000000',
    ]);
    await handle.signal(priceTickSignal, { marketIndex: 0, price: '148500000' }); // crosses the old trigger, not the new one
    await new Promise((r) => setTimeout(r, 200));
    expect(called('submitFill')).toHaveLength(0);
    await handle.signal(priceTickSignal, { marketIndex: 0, price: '147900000' });
    expect(((await handle.result()) as PlaceOrderResult).status).toBe('filled');
    expect(called('preTradeCheck').map((c) => c.input)).toEqual([{ limit: false }, { limit: true }]);
    expect(await stepsOf(o.workflowId)).toEqual([
      'verified:completed',
      'risk-checked:completed',
      'resting:completed',
      'triggered:completed',
      'filled:completed',
      'recorded:completed',
    ]);
  });

  it('cancels a resting order (its row closed, nothing sent) and refuses a second cancel or an amend after', async () => {
    calls.length = 0;
    const o = order('stop_loss', {
      baseAmount: '-1000000000',
      limitPrice: '0',
      reduceOnly: true,
      triggerPrice: '100000000',
    });
    const handle = await start(o);
    await waitForStep(o.workflowId, 'resting');
    expect(await handle.executeUpdate(cancelOrderUpdate)).toEqual({ status: 'cancelled' });
    expect(await handle.result()).toEqual({ status: 'cancelled' });
    expect(called('recordOrderClosed').map((c) => (c.input as { status: string }).status)).toEqual(['cancelled']);
    expect(called('submitFill')).toHaveLength(0);
  });

  it('expires a resting order at its expiry', async () => {
    calls.length = 0;
    const o = order('take_profit', {
      baseAmount: '-1000000000',
      limitPrice: '0',
      expiryTs: String(Math.floor(Date.now() / 1000) + 2),
      triggerPrice: '200000000',
    });
    expect(await (await start(o)).result()).toEqual({ status: 'expired' });
    expect(called('recordOrderClosed').map((c) => (c.input as { status: string }).status)).toEqual(['expired']);
  });

  it('ends a trigger the pre-trade rule refuses as rejected (the limit, checked at the trigger)', async () => {
    calls.length = 0;
    const o = order('stop', { limitPrice: '150000000', triggerPrice: '155000000' });
    const handle = await start(o);
    await waitForStep(o.workflowId, 'resting');
    stubs.refuseNext = 'SlippageExceeded';
    await handle.signal(priceTickSignal, { marketIndex: 0, price: '156000000' });
    expect(await handle.result()).toEqual({ status: 'rejected', reason: 'SlippageExceeded' });
    expect(called('submitFill')).toHaveLength(0);
  });
});
