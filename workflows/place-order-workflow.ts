import { ActivityFailure, ApplicationFailure, condition, patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { OrderWire } from '../activities/orders';
import { isTriggered, type OrderKind } from '../domain/orders';
import { amendOrderUpdate, cancelOrderUpdate, getOrderQuery, PROGRAM_REJECTION, priceTickSignal, QdAccount, QdMarket } from './definitions';
import { chainActivities as chain, ledgerActivities as ledger } from './activity-proxies';
import { ProgressTracker } from './progress';

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
 * PlaceOrder (DESIGN §3): verify the wallet's signature -> pre-trade risk -> (non-market) wait durably for
 * the trigger, cancellable and amendable, until the order expires -> risk again -> the keeper submits the
 * fill -> rows and events.
 */
export async function placeOrderWorkflow(input: PlaceOrderInput): Promise<PlaceOrderResult> {
  const { order, kind } = input;
  const id = workflowInfo().workflowId;
  // Handlers first: a cancel or a price tick may arrive before the first activity returns.
  const progress = new ProgressTracker('order', order.user, String(order.marketIndex));
  const trigger = kind === 'market' ? null : triggerState(input);
  setHandler(getOrderQuery, () => ({
    kind, clientOrderId: input.clientOrderId, marketIndex: order.marketIndex, baseAmount: order.baseAmount, limitPrice: order.limitPrice,
    reduceOnly: order.reduceOnly, expiryTs: order.expiryTs, nonce: order.nonce, triggerPrice: trigger?.current() ?? null, state: trigger?.state() ?? 'market',
  }));
  // Runs started before rejections became final keep their path (patched() keeps their histories replayable).
  const final = patched('order-rejections-final');
  // A market order can be cancelled until the keeper submits it.
  const market: { state: 'pending' | 'submitting' | 'cancelled' } = { state: 'pending' };
  if (final && !trigger) {
    setHandler(cancelOrderUpdate, () => {
      market.state = 'cancelled';
      return { status: market.state };
    }, { validator: () => { if (market.state !== 'pending') throw new Error(`the order is already ${market.state === 'submitting' ? 'being filled' : market.state}`); } });
  }
  upsertSearchAttributes([{ key: QdAccount, value: order.user }, { key: QdMarket, value: String(order.marketIndex) }]);
  await progress.start();
  let owner: Awaited<ReturnType<typeof chain.verifyOrderSignature>>;
  if (final) {
    owner = await progress.step('verified', () => chain.verifyOrderSignature(input));
  } else {
    owner = await chain.verifyOrderSignature(input);
    await progress.step('verified', async () => owner);
  }
  await progress.step('risk-checked', () => chain.preTradeCheck(order));

  if (trigger) {
    const outcome = await trigger.wait();
    if (outcome !== 'triggered') {
      await progress.step(outcome, () => ledger.recordOrderClosed({ orderId: id, status: outcome, at: new Date().toISOString() }));
      await progress.finish(outcome === 'cancelled' ? 'cancelled' : 'completed', outcome);
      return { status: outcome };
    }
    await progress.step('triggered', () => chain.preTradeCheck(order));
  }
  let fill: Awaited<ReturnType<typeof chain.submitFill>>;
  if (final) {
    // Market orders: cancelled or expired before the keeper submits it, nothing is sent.
    const unsent = market.state === 'cancelled' ? 'cancelled' : BigInt(order.expiryTs) * 1000n < BigInt(Date.now()) ? 'expired' : null;
    if (unsent) {
      await progress.step(unsent, () => ledger.recordOrderClosed({ orderId: id, status: unsent, at: new Date().toISOString() }));
      await progress.finish(unsent === 'cancelled' ? 'cancelled' : 'completed', unsent);
      return { status: unsent };
    }
    market.state = 'submitting';
    const submitted = await progress.attempt('filled', () => chain.submitFill(input));
    if (!submitted.ok) {
      const reason = programRejectionOf(submitted.error);
      if (!reason) {
        await progress.failed('filled', submitted.error);
        throw submitted.error;
      }
      // The program refused it: final at once (no retry, no late fill), the row says why.
      await ledger.recordOrderRejected({
        orderId: id, clientOrderId: input.clientOrderId, kind, wallet: owner.wallet, subAccountId: owner.subAccountId, order,
        triggerPrice: input.triggerPrice ?? null, reason, at: new Date().toISOString(),
      });
      await progress.failed('rejected', submitted.error);
      return { status: 'rejected', reason };
    }
    fill = submitted.value;
  } else {
    fill = await progress.step('filled', () => chain.submitFill(input));
  }
  await progress.step('recorded', () => ledger.recordOrderFill({
    orderId: id, clientOrderId: input.clientOrderId, kind, wallet: owner.wallet, subAccountId: owner.subAccountId, order,
    triggerPrice: input.triggerPrice ?? null, fill, at: new Date().toISOString(),
  }));
  await progress.finish('completed', 'filled');
  return { status: 'filled', signature: fill.signature, price: fill.price };
}

/** The waiting part of a non-market order: price ticks, cancel and amend, and the wait itself. */
function triggerState(input: PlaceOrderInput) {
  if (!input.triggerPrice) throw ApplicationFailure.create({ type: 'InvalidOrder', message: `a ${input.kind} order needs a trigger price`, nonRetryable: true });
  let trigger = BigInt(input.triggerPrice);
  let state: 'waiting' | 'triggered' | 'cancelled' = 'waiting';
  setHandler(priceTickSignal, ({ marketIndex, price }) => {
    if (state === 'waiting' && marketIndex === input.order.marketIndex && isTriggered(input.kind, BigInt(input.order.baseAmount), trigger, BigInt(price))) {
      state = 'triggered';
    }
  });
  setHandler(cancelOrderUpdate, () => {
    state = 'cancelled';
    return { status: state };
  }, { validator: () => assertWaiting(state) });
  setHandler(amendOrderUpdate, ({ triggerPrice }) => {
    trigger = BigInt(triggerPrice);
    return { triggerPrice };
  }, {
    validator: ({ triggerPrice }) => {
      assertWaiting(state);
      if (!/^[1-9][0-9]{0,18}$/.test(triggerPrice)) throw new Error('triggerPrice must be a positive integer (PRICE_PRECISION)');
    },
  });
  return {
    current: () => trigger.toString(),
    state: () => state,
    async wait(): Promise<'triggered' | 'cancelled' | 'expired'> {
      const msLeft = Number(BigInt(input.order.expiryTs) * 1000n - BigInt(Date.now()));
      const settled = await condition(() => state !== 'waiting', msLeft > 0 ? msLeft : 1);
      return settled ? (state as 'triggered' | 'cancelled') : 'expired';
    },
  };
}

/** The program's error name when an activity failed because the program refused its transaction. */
function programRejectionOf(err: unknown): string | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.details?.[0] === PROGRAM_REJECTION && cause.type ? cause.type : null;
}

function assertWaiting(state: string): void {
  if (state !== 'waiting') throw new Error(`the order is already ${state}`);
}
