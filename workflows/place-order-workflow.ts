import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OrderOwner } from '../activities/order-steps';
import type { OrderWire } from '../activities/orders';
import { orderRowOf, type OrderKind } from '../domain/orders';
import { QdAccount, QdMarket } from './definitions';
import { fillLocalActivities, orderCheckLocalActivities, orderRowLocalActivities } from './activity-proxies';
import { ProgressTracker } from './progress';
import { legacyPlaceOrderWorkflow } from './place-order-legacy';
import {
  answerOrderQuery,
  cancellableUntilSubmitted,
  programRejectionOf,
  triggerState,
  unsentOutcome,
  type MarketOrder,
  type Trigger,
} from './order-trigger';

export interface PlaceOrderInput {
  order: OrderWire;
  authority: string;
  signature: string;
  kind: OrderKind;
  /** Required for all but market orders; a limit order triggers at its limit price. */
  triggerPrice?: string;
  clientOrderId: string;
}

export interface PlaceOrderResult {
  status: 'filled' | 'cancelled' | 'expired' | 'rejected';
  signature?: string;
  price?: string;
  /** The program's error name, when it refused the fill (status rejected). */
  reason?: string;
}

/**
 * PlaceOrder (ARCHITECTURE §3): accept it (the run recorded, the wallet's signature verified, pre-trade risk, a
 * waiting order's row) -> (non-market) wait durably for the trigger, cancellable and amendable, until the order
 * expires -> risk again -> the keeper submits the fill -> its rows, the run recorded. The steps before and
 * after the fill run as one local activity each (activities/order-steps.ts), each step's event published as
 * it completes, and the fill is a local activity too: a market order is one workflow task of four
 * activations (it was two tasks of ten activations and a task-queue activity).
 */
export async function placeOrderWorkflow(input: PlaceOrderInput): Promise<PlaceOrderResult> {
  // Runs started before the steps were combined keep their path (patched() keeps their histories replayable).
  if (!patched('order-steps-combined')) return legacyPlaceOrderWorkflow(input);
  const { order, kind } = input;
  const id = workflowInfo().workflowId;
  // Handlers first: a cancel or a price tick may arrive before the first activity returns.
  const progress = new ProgressTracker('order', order.user, String(order.marketIndex));
  const trigger = kind === 'market' ? null : triggerState(input, id, orderRowLocalActivities);
  answerOrderQuery(input, trigger);
  const market: MarketOrder = { state: 'pending' };
  if (!trigger) cancellableUntilSubmitted(market);
  // The API starts it with these (startAttributes): set only those it was started without, no second write.
  const named = workflowInfo().typedSearchAttributes;
  const missing = [
    { key: QdAccount, value: order.user },
    { key: QdMarket, value: String(order.marketIndex) },
  ].filter(({ key, value }) => named.get(key) !== value);
  if (missing.length) upsertSearchAttributes(missing);
  let accepted: Awaited<ReturnType<typeof orderCheckLocalActivities.acceptOrder>>;
  try {
    accepted = await orderCheckLocalActivities.acceptOrder({
      placed: input,
      source: progress.source,
      run: progress.runRecord('running', 'started'),
      // A waiting order is placed away from the market: its limit is checked when it triggers.
      limit: !trigger,
      rest: trigger !== null,
    });
  } catch (err) {
    // A bad signature is final at once; anything else is the pre-trade check's reads outlasting their retries.
    await progress.failed(failureType(err) === 'InvalidOrderSignature' ? 'verified' : 'risk-checked', err);
    throw err;
  }
  progress.noted(accepted.steps);
  const ctx: OrderRun = { input, id, owner: accepted.owner, progress, trigger, market };
  if (accepted.refused) {
    const { type, message } = accepted.refused;
    return rejected(ctx, type, ApplicationFailure.create({ type, message, nonRetryable: true }));
  }
  if (!trigger) return fill(ctx);
  // The order's row says it rests (with its trigger): the risk monitor tells it only the tick that crosses it.
  try {
    return await fillWhenTriggered(ctx, trigger);
  } catch (err) {
    // A resting order that fails after all (an outage outlasted its retries, an operator cancelled the run)
    // leaves the book: its row says so, and no monitor tells it again.
    const status = isCancellation(err) ? 'cancelled' : 'failed';
    await CancellationScope.nonCancellable(() =>
      orderRowLocalActivities.recordOrderClosed({ orderId: id, status, at: new Date().toISOString() }),
    );
    throw err;
  }
}

/** One order's run: what every step after its acceptance needs. */
interface OrderRun {
  input: PlaceOrderInput;
  id: string;
  owner: OrderOwner;
  progress: ProgressTracker;
  trigger: Trigger | null;
  market: MarketOrder;
}

/** Waits for the trigger, checks the order again (with its limit) and fills it; or it ends cancelled or expired. */
async function fillWhenTriggered(ctx: OrderRun, trigger: Trigger): Promise<PlaceOrderResult> {
  const outcome = await trigger.wait();
  if (outcome !== 'triggered') return closedUnfilled(ctx, outcome);
  const checked = await ctx.progress.attempt('triggered', () =>
    orderCheckLocalActivities.preTradeCheck(ctx.input.order, { limit: true }),
  );
  return checked.ok ? fill(ctx) : rejectOrFail(ctx, 'triggered', checked.error);
}

/** The keeper submits the fill (unless cancelled or expired first); then its rows and the run's end, in one step. */
async function fill(ctx: OrderRun): Promise<PlaceOrderResult> {
  const { input, id, owner, progress, trigger, market } = ctx;
  const unsent = unsentOutcome(input, market);
  if (unsent) return closedUnfilled(ctx, unsent);
  market.state = 'submitting';
  let receipt: Awaited<ReturnType<typeof fillLocalActivities.submitFill>>;
  try {
    receipt = await fillLocalActivities.submitFill(input);
  } catch (err) {
    // The program refused it: final at once (no retry, no late fill).
    return rejectOrFail(ctx, 'filled', err);
  }
  progress.noted(
    await orderRowLocalActivities.settleOrderFill({
      row: orderRowOf(input, id, owner, trigger?.current() ?? null),
      fill: receipt,
      source: progress.source,
      run: progress.runRecord('completed', 'filled'),
    }),
  );
  progress.closed('completed');
  return { status: 'filled', signature: receipt.signature, price: receipt.price };
}

/** Cancelled or expired before anything was sent: the row (a waiting order's) closed, the run ended. */
async function closedUnfilled(ctx: OrderRun, outcome: 'cancelled' | 'expired'): Promise<PlaceOrderResult> {
  await ctx.progress.step(outcome, () =>
    orderRowLocalActivities.recordOrderClosed({ orderId: ctx.id, status: outcome, at: new Date().toISOString() }),
  );
  await ctx.progress.finish(outcome === 'cancelled' ? 'cancelled' : 'completed', outcome);
  return { status: outcome };
}

/** A refusal of the program's (made or predicted) ends the order rejected; anything else fails the run at `step`. */
async function rejectOrFail(ctx: OrderRun, step: string, error: unknown): Promise<PlaceOrderResult> {
  const reason = programRejectionOf(error);
  if (reason) return rejected(ctx, reason, error);
  await ctx.progress.failed(step, error);
  throw error;
}

/** The order ends rejected with the program's error name: its row says why. */
async function rejected(ctx: OrderRun, reason: string, error: unknown): Promise<PlaceOrderResult> {
  const { input, id, owner, trigger, progress } = ctx;
  await orderRowLocalActivities.recordOrderRejected({
    ...orderRowOf(input, id, owner, trigger?.current() ?? null),
    reason,
    at: new Date().toISOString(),
  });
  await progress.failed('rejected', error);
  return { status: 'rejected', reason };
}

function failureType(err: unknown): string | undefined {
  const cause = err instanceof ApplicationFailure ? err : (err as { cause?: unknown } | null)?.cause;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
