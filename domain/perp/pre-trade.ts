import { accountAfterFill, equity, marginRequirement, type Account } from './margin';
import type { MarketParams } from './market';
import type { OracleReading } from './oracle';
import { emptyPosition, planFill, poolPayout, type FillMarket, type FillPlan, type FillRefusal } from './trading';

/** No limit on the price: a resting order's placement (its limit applies when it triggers), a preview without one. */
const NO_LIMIT_BUY = (1n << 63n) - 1n;

export interface PreTradeInput {
  params: MarketParams;
  market: FillMarket;
  oracle: OracleReading;
  slot: bigint;
  /** The sub-account as held, funding owed folded into collateral, positions priced at the oracle. */
  account: Account;
  marketIndex: number;
  /** The market's cumulative funding index (a new position starts there). */
  fundingIndex: bigint;
  order: { baseAmount: bigint; limitPrice: bigint | null; reduceOnly: boolean };
  /**
   * The PnL pool's balance and what it already owes this account: realized PnL reaches collateral only as
   * far as the pool pays it (poolPayout), as in the program. Left out (the preview), it pays in full.
   */
  pnlPool?: { balance: bigint; unsettled: bigint };
}

export type PreTradeVerdict =
  | { ok: true; plan: FillPlan; after: Account }
  | { ok: false; refusal: FillRefusal; plan?: undefined; after?: undefined }
  | { ok: false; refusal: 'InsufficientCollateral'; plan: FillPlan; after: Account };

/**
 * Everything the program checks on a fill, on the account as a whole: the fill's own rule (planFill: the
 * reduce-only clamp, risk, oracle guards, limit, open-interest cap), then, when the fill adds risk, initial
 * margin on the account after it. The pre-trade check of the order workflow and the terminal's order
 * preview both call it; the program runs the same rule (math/trading.rs plan_fill, margin.rs).
 */
export function preTrade(input: PreTradeInput): PreTradeVerdict {
  const { params, order } = input;
  const index = input.account.positions.findIndex((p) => p.position.marketIndex === input.marketIndex);
  const held = index >= 0 ? input.account.positions[index]! : null;
  const limit = order.limitPrice ?? (order.baseAmount > 0n ? NO_LIMIT_BUY : 0n);
  const planned = planFill(
    params,
    input.market,
    input.oracle,
    input.slot,
    held?.position.base ?? 0n,
    order.baseAmount,
    limit,
    order.reduceOnly,
  );
  if (!planned.ok) return planned;
  const { plan } = planned;
  const target = held ?? {
    position: emptyPosition(input.marketIndex, input.fundingIndex),
    params,
    price: input.oracle.price,
    fundingIndex: input.fundingIndex,
  };
  const pool = input.pnlPool;
  const { after } = accountAfterFill(
    held ? input.account : { ...input.account, positions: [...input.account.positions, target] },
    target,
    { delta: plan.delta, price: plan.price, fee: plan.fee, mark: input.oracle.price },
    pool ? (pnl) => poolPayout(pool.unsettled + pnl, pool.balance).paid : undefined,
  );
  if (plan.riskIncreasing && equity(after) < marginRequirement(after, 'initial'))
    return { ok: false, refusal: 'InsufficientCollateral', plan, after };
  return { ok: true, plan, after };
}
