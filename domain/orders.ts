/**
 * Order kinds and their triggers. Market orders fill at once; the others wait for the oracle price to
 * cross a trigger (a limit order's trigger is its limit price). Pure: used by the order workflow.
 */
export const ORDER_KINDS = ['market', 'limit', 'stop', 'take_profit', 'stop_loss'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

/** Which way the price must move to reach a waiting order's trigger: at or above it, or at or below it. */
export type TriggerSide = 'at_or_above' | 'at_or_below';

/**
 * The side of the trigger of an order of `kind` and side (`baseAmount` > 0 buys); null for a market order.
 *  limit:       buy at or below, sell at or above
 *  stop:        buy at or above, sell at or below (breakouts)
 *  take_profit: fires when price moves in the position's favour: a sell (closing a long) at or above,
 *               a buy (closing a short) at or below
 *  stop_loss:   the opposite: a sell at or below, a buy at or above
 */
export function triggerSide(kind: OrderKind, baseAmount: bigint): TriggerSide | null {
  const buy = baseAmount > 0n;
  switch (kind) {
    case 'market':
      return null;
    case 'limit':
    case 'take_profit':
      return buy ? 'at_or_below' : 'at_or_above';
    case 'stop':
    case 'stop_loss':
      return buy ? 'at_or_above' : 'at_or_below';
  }
}

/** Whether `price` has reached the trigger of an order of `kind` and side (a market order always has). */
export function isTriggered(kind: OrderKind, baseAmount: bigint, triggerPrice: bigint, price: bigint): boolean {
  const side = triggerSide(kind, baseAmount);
  return side === null || (side === 'at_or_above' ? price >= triggerPrice : price <= triggerPrice);
}

/** What an order's rows are made of: the order as placed, its owner, its trigger as it stands (after any amendment). */
export function orderRowOf<O>(
  placed: { order: O; clientOrderId: string; kind: OrderKind },
  orderId: string,
  owner: { wallet: string; subAccountId: number },
  triggerPrice: string | null,
) {
  return {
    orderId,
    clientOrderId: placed.clientOrderId,
    kind: placed.kind,
    wallet: owner.wallet,
    subAccountId: owner.subAccountId,
    order: placed.order,
    triggerPrice,
  };
}

/** Workflow ID of an order: the trader's sub-account and their client order id. */
export const orderWorkflowId = (account: string, clientOrderId: string) => `order:${account}:${clientOrderId}`;
