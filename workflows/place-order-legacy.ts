import { CancellationScope, isCancellation, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { orderRowOf } from '../domain/orders';
import { QdAccount, QdMarket } from './definitions';
import {
  chainActivities as chain,
  ledgerActivities,
  orderCheckLocalActivities,
  orderRowLocalActivities,
} from './activity-proxies';
import {
  answerOrderQuery,
  cancellableUntilSubmitted,
  programRejectionOf,
  triggerState,
  unsentOutcome,
  type MarketOrder,
  type Trigger,
} from './order-trigger';
import type { PlaceOrderInput, PlaceOrderResult } from './place-order-workflow';
import { ProgressTracker } from './progress';

/**
 * PlaceOrder as runs started before its steps were combined ran it (kept so their histories replay): one
 * local activity per step and one per step's event; older runs, behind their patches, with task-queue
 * activities, retried rejections, a tick relayed to every waiting order.
 */
export async function legacyPlaceOrderWorkflow(input: PlaceOrderInput): Promise<PlaceOrderResult> {
  const { order, kind } = input;
  const id = workflowInfo().workflowId;
  // Handlers first: a cancel or a price tick may arrive before the first activity returns.
  const progress = new ProgressTracker('order', order.user, String(order.marketIndex));
  // Runs started before the checks and rows became local activities keep their task-queue activities.
  const acts: OrderActs = patched('order-local-activities')
    ? { checks: orderCheckLocalActivities, rows: orderRowLocalActivities }
    : { checks: chain, rows: ledgerActivities };
  const trigger = kind === 'market' ? null : triggerState(input, id, acts.rows);
  answerOrderQuery(input, trigger);
  // Runs started before rejections became final keep their path (patched() keeps their histories replayable).
  const final = patched('order-rejections-final');
  // A market order can be cancelled until the keeper submits it.
  const market: MarketOrder = { state: 'pending' };
  if (final && !trigger) cancellableUntilSubmitted(market);
  upsertSearchAttributes([
    { key: QdAccount, value: order.user },
    { key: QdMarket, value: String(order.marketIndex) },
  ]);
  await progress.start();
  let owner: Owner;
  if (final) {
    owner = await progress.step('verified', () => acts.checks.verifyOrderSignature(input));
  } else {
    owner = await acts.checks.verifyOrderSignature(input);
    await progress.step('verified', async () => owner);
  }
  // Runs started before the pre-trade rule's refusals ended orders rejected failed on them.
  const ctx: OrderRun = {
    input,
    id,
    owner,
    progress,
    trigger,
    market,
    final,
    acts,
    refusesEarly: patched('pre-trade-rejections'),
  };
  // A waiting order is placed away from the market: its limit is checked when it triggers.
  const checked = await check(ctx, 'risk-checked', { limit: !trigger });
  if (checked) return checked;

  if (trigger && patched('resting-order-index')) {
    // Runs started before the trigger index heard every tick; since, the order's row says it rests (with
    // its trigger) and the risk monitor tells it only the tick that crosses it.
    await progress.step('resting', () =>
      acts.rows.recordOrderResting({ ...rowOf(input, id, owner, trigger), at: new Date().toISOString() }),
    );
    try {
      return await fillWhenTriggered(ctx);
    } catch (err) {
      // A resting order that fails after all (an outage outlasted its retries, an operator cancelled the
      // run) leaves the book: its row says so, and no monitor tells it again.
      const status = isCancellation(err) ? 'cancelled' : 'failed';
      await CancellationScope.nonCancellable(() =>
        acts.rows.recordOrderClosed({ orderId: id, status, at: new Date().toISOString() }),
      );
      throw err;
    }
  }
  return fillWhenTriggered(ctx);
}

/** One order's run: what every step after the signature check needs. */
interface OrderRun {
  input: PlaceOrderInput;
  id: string;
  owner: Owner;
  progress: ProgressTracker;
  trigger: Trigger | null;
  market: MarketOrder;
  final: boolean;
  refusesEarly: boolean;
  acts: OrderActs;
}

/**
 * The pre-trade check at `step`: null when it passes. The program's rule refusing the fill (its error name,
 * e.g. SlippageExceeded, InsufficientCollateral) ends the order rejected at once, nothing sent.
 */
async function check(
  ctx: OrderRun,
  step: 'risk-checked' | 'triggered',
  options: { limit: boolean },
): Promise<PlaceOrderResult | null> {
  if (!ctx.refusesEarly) {
    await ctx.progress.step(step, () => ctx.acts.checks.preTradeCheck(ctx.input.order, options));
    return null;
  }
  const checked = await ctx.progress.attempt(step, () => ctx.acts.checks.preTradeCheck(ctx.input.order, options));
  return checked.ok ? null : rejectOrFail(ctx, step, checked.error);
}

/** A refusal of the program's (made or predicted) ends the order rejected, the row says why; anything else fails the run. */
async function rejectOrFail(ctx: OrderRun, step: string, error: unknown): Promise<PlaceOrderResult> {
  const reason = programRejectionOf(error);
  if (!reason) {
    await ctx.progress.failed(step, error);
    throw error;
  }
  await ctx.acts.rows.recordOrderRejected({
    ...rowOf(ctx.input, ctx.id, ctx.owner, ctx.trigger),
    reason,
    at: new Date().toISOString(),
  });
  await ctx.progress.failed('rejected', error);
  return { status: 'rejected', reason };
}

/** Where an order's checks and rows run: local activities since 'order-local-activities'. */
interface OrderActs {
  checks: Pick<typeof chain, 'verifyOrderSignature' | 'preTradeCheck'>;
  rows: Pick<
    typeof ledgerActivities,
    'recordOrderResting' | 'recordOrderTrigger' | 'recordOrderClosed' | 'recordOrderRejected' | 'recordOrderFill'
  >;
}

type Owner = { account: string; wallet: string; subAccountId: number };

/** What an order's rows are made of (its trigger as it stands, after any amendment). */
const rowOf = (input: PlaceOrderInput, orderId: string, owner: Owner, trigger: Trigger | null) =>
  orderRowOf(input, orderId, owner, trigger?.current() ?? null);

/** Waits for the trigger (non-market orders), then the keeper submits the fill, then rows and events. */
async function fillWhenTriggered(ctx: OrderRun): Promise<PlaceOrderResult> {
  const { input, id, owner, progress, trigger, market, final, acts } = ctx;
  if (trigger) {
    const outcome = await trigger.wait();
    if (outcome !== 'triggered') {
      await progress.step(outcome, () =>
        acts.rows.recordOrderClosed({ orderId: id, status: outcome, at: new Date().toISOString() }),
      );
      await progress.finish(outcome === 'cancelled' ? 'cancelled' : 'completed', outcome);
      return { status: outcome };
    }
    const checked = await check(ctx, 'triggered', { limit: true });
    if (checked) return checked;
  }
  let fill: Awaited<ReturnType<typeof chain.submitFill>>;
  if (final) {
    // Market orders: cancelled or expired before the keeper submits it, nothing is sent.
    const unsent = unsentOutcome(input, market);
    if (unsent) {
      await progress.step(unsent, () =>
        acts.rows.recordOrderClosed({ orderId: id, status: unsent, at: new Date().toISOString() }),
      );
      await progress.finish(unsent === 'cancelled' ? 'cancelled' : 'completed', unsent);
      return { status: unsent };
    }
    market.state = 'submitting';
    const submitted = await progress.attempt('filled', () => chain.submitFill(input));
    // The program refused it: final at once (no retry, no late fill).
    if (!submitted.ok) return rejectOrFail(ctx, 'filled', submitted.error);
    fill = submitted.value;
  } else {
    fill = await progress.step('filled', () => chain.submitFill(input));
  }
  await progress.step('recorded', () =>
    acts.rows.recordOrderFill({ ...rowOf(input, id, owner, trigger), fill, at: new Date().toISOString() }),
  );
  await progress.finish('completed', 'filled');
  return { status: 'filled', signature: fill.signature, price: fill.price };
}
