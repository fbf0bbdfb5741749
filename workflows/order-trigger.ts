import { ActivityFailure, ApplicationFailure, condition, patched, setHandler } from '@temporalio/workflow';
import { isTriggered } from '../domain/orders';
import { amendOrderUpdate, cancelOrderUpdate, getOrderQuery, PROGRAM_REJECTION, priceTickSignal } from './definitions';
import type { orderRowLocalActivities } from './activity-proxies';
import type { PlaceOrderInput } from './place-order-workflow';

/** The waiting part of a non-market order: price ticks, cancel and amend, and the wait itself. */
export function triggerState(
  input: PlaceOrderInput,
  orderId: string,
  rows: Pick<typeof orderRowLocalActivities, 'recordOrderTrigger'>,
) {
  if (!input.triggerPrice)
    throw ApplicationFailure.create({
      type: 'InvalidOrder',
      message: `a ${input.kind} order needs a trigger price`,
      nonRetryable: true,
    });
  let trigger = BigInt(input.triggerPrice);
  let state: 'waiting' | 'triggered' | 'cancelled' = 'waiting';
  setHandler(priceTickSignal, ({ marketIndex, price }) => {
    if (
      state === 'waiting' &&
      marketIndex === input.order.marketIndex &&
      isTriggered(input.kind, BigInt(input.order.baseAmount), trigger, BigInt(price))
    ) {
      state = 'triggered';
    }
  });
  setHandler(
    cancelOrderUpdate,
    () => {
      state = 'cancelled';
      return { status: state };
    },
    { validator: () => assertWaiting(state) },
  );
  setHandler(
    amendOrderUpdate,
    async ({ triggerPrice }) => {
      trigger = BigInt(triggerPrice);
      // The row follows (runs started before the trigger index had none): the index re-reads it.
      if (patched('resting-order-trigger-row'))
        await rows.recordOrderTrigger({ orderId, triggerPrice, at: new Date().toISOString() });
      return { triggerPrice };
    },
    {
      validator: ({ triggerPrice }) => {
        assertWaiting(state);
        if (!/^[1-9][0-9]{0,18}$/.test(triggerPrice))
          throw new Error('triggerPrice must be a positive integer (PRICE_PRECISION)');
      },
    },
  );
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

export type Trigger = ReturnType<typeof triggerState>;

/** A market order's state: cancellable until the keeper submits it. */
export type MarketOrder = { state: 'pending' | 'submitting' | 'cancelled' };

/** A market order can be cancelled (the update) until the keeper submits it. */
export function cancellableUntilSubmitted(market: MarketOrder): void {
  setHandler(
    cancelOrderUpdate,
    () => {
      market.state = 'cancelled';
      return { status: market.state };
    },
    {
      validator: () => {
        if (market.state !== 'pending')
          throw new Error(`the order is already ${market.state === 'submitting' ? 'being filled' : market.state}`);
      },
    },
  );
}

/** The order query: the order as placed, its trigger as it stands and where it is. */
export function answerOrderQuery(input: PlaceOrderInput, trigger: Trigger | null): void {
  const { order, kind } = input;
  setHandler(getOrderQuery, () => ({
    kind,
    clientOrderId: input.clientOrderId,
    marketIndex: order.marketIndex,
    baseAmount: order.baseAmount,
    limitPrice: order.limitPrice,
    reduceOnly: order.reduceOnly,
    expiryTs: order.expiryTs,
    nonce: order.nonce,
    triggerPrice: trigger?.current() ?? null,
    state: trigger?.state() ?? 'market',
  }));
}

/** Market orders (and triggered ones) not yet sent: cancelled, or expired, before the keeper submits them. */
export function unsentOutcome(input: PlaceOrderInput, market: MarketOrder): 'cancelled' | 'expired' | null {
  if (market.state === 'cancelled') return 'cancelled';
  return BigInt(input.order.expiryTs) * 1000n < BigInt(Date.now()) ? 'expired' : null;
}

/** The program's error name when an activity failed because the program refused its transaction. */
export function programRejectionOf(err: unknown): string | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.details?.[0] === PROGRAM_REJECTION && cause.type
    ? cause.type
    : null;
}

function assertWaiting(state: string): void {
  if (state !== 'waiting') throw new Error(`the order is already ${state}`);
}
