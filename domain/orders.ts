/**
 * Order kinds and their triggers. Market orders fill at once; the others wait for the oracle price to
 * cross a trigger (a limit order's trigger is its limit price). Pure: used by the order workflow.
 */
export const ORDER_KINDS = ['market', 'limit', 'stop', 'take_profit', 'stop_loss'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

/**
 * Whether `price` has reached the trigger of an order of `kind` and side (`baseAmount` > 0 buys).
 *  limit:       buy at or below, sell at or above
 *  stop:        buy at or above, sell at or below (breakouts)
 *  take_profit: fires when price moves in the position's favour: a sell (closing a long) at or above,
 *               a buy (closing a short) at or below
 *  stop_loss:   the opposite: a sell at or below, a buy at or above
 */
export function isTriggered(kind: OrderKind, baseAmount: bigint, triggerPrice: bigint, price: bigint): boolean {
  const buy = baseAmount > 0n;
  switch (kind) {
    case 'market':
      return true;
    case 'limit':
    case 'take_profit':
      return buy ? price <= triggerPrice : price >= triggerPrice;
    case 'stop':
    case 'stop_loss':
      return buy ? price >= triggerPrice : price <= triggerPrice;
  }
}

/** Workflow ID of an order: the trader's sub-account and their client order id. */
export const orderWorkflowId = (account: string, clientOrderId: string) => `order:${account}:${clientOrderId}`;
