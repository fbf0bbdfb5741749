import {
  DEFAULT_MARKETS,
  freeCollateral,
  leverageBps,
  liquidationPrice,
  marginRequirement,
  preTrade,
  unrealizedPnl,
  type FillRefusal,
  type MarketParams,
  type PricedPosition,
} from '@domain/perp';

/** The preview does not know the chain's open-interest cap: the program judges it. */
const NO_CAP = 1n << 127n;

export interface PreviewInput {
  /** The sub-account as the API reports it (null before the first deposit). */
  account: {
    equity: string;
    positions: { marketIndex: number; base: string; quoteEntry: string; markPrice: string }[];
  } | null;
  marketIndex: number;
  /** Signed size in BASE_PRECISION (> 0 buys). */
  delta: bigint;
  oraclePrice: bigint;
  /** long - short open interest of the market (BASE_PRECISION). */
  skew: bigint;
  /** The order's worst acceptable price (PRICE_PRECISION), if it has one. */
  limitPrice?: bigint | null;
  reduceOnly?: boolean;
}

export interface Preview {
  /** What the program would refuse the fill for (its error name), or null. */
  refusal: FillRefusal | 'InsufficientCollateral' | null;
  /** Null when the fill is refused before it is priced (a reduce-only order with nothing to reduce). */
  fillPrice: bigint | null;
  fee: bigint | null;
  initialRequirement: bigint | null;
  freeCollateralAfter: bigint | null;
  leverageBpsAfter: bigint | null;
  liquidationPriceAfter: bigint | null;
  passesInitialMargin: boolean;
}

const paramsOf = (marketIndex: number): MarketParams => {
  const p = DEFAULT_MARKETS.find((m) => m.marketIndex === marketIndex);
  if (!p) throw new RangeError(`unknown market ${marketIndex}`);
  return p;
};

/**
 * The order ticket's live preview with the rule the program runs on a fill (preTrade, shared with the
 * order workflow's pre-trade check): fill price with skew impact, fee, the account after the fill, margin
 * and the position's liquidation price, and what the program would refuse. Funding owed is folded into
 * collateral (equity minus unrealized PnL), as the API's equity already includes it. The oracle's age and
 * confidence, its TWAP and the open-interest cap are the chain's to judge: the preview takes them as fine.
 */
export function previewOrder(input: PreviewInput): Preview {
  const held: PricedPosition[] = (input.account?.positions ?? []).map((p) => ({
    position: {
      marketIndex: p.marketIndex,
      base: BigInt(p.base),
      quoteEntry: BigInt(p.quoteEntry),
      lastFundingIndex: 0n,
    },
    params: paramsOf(p.marketIndex),
    price: BigInt(p.markPrice),
    fundingIndex: 0n,
  }));
  const collateral =
    BigInt(input.account?.equity ?? '0') - held.reduce((sum, p) => sum + unrealizedPnl(p.position, p.price), 0n);
  const params = paramsOf(input.marketIndex);
  const verdict = preTrade({
    params,
    account: { collateral, positions: held },
    marketIndex: input.marketIndex,
    fundingIndex: 0n,
    oracle: { price: input.oraclePrice, confidence: 0n, publishSlot: 0n },
    slot: 0n,
    market: {
      longOpenInterest: input.skew > 0n ? input.skew : 0n,
      shortOpenInterest: input.skew < 0n ? -input.skew : 0n,
      maxOpenInterest: NO_CAP,
      oracleTwap: 0n,
      paused: false,
    },
    order: { baseAmount: input.delta, limitPrice: input.limitPrice ?? null, reduceOnly: input.reduceOnly ?? false },
  });
  if (!verdict.plan)
    return {
      refusal: verdict.ok ? null : verdict.refusal,
      fillPrice: null,
      fee: null,
      initialRequirement: null,
      freeCollateralAfter: null,
      leverageBpsAfter: null,
      liquidationPriceAfter: null,
      passesInitialMargin: false,
    };
  const { plan, after } = verdict;
  const at = after.positions.findIndex((p) => p.position.marketIndex === input.marketIndex);
  return {
    refusal: verdict.ok ? null : verdict.refusal,
    fillPrice: plan.price,
    fee: plan.fee,
    initialRequirement: marginRequirement(after, 'initial'),
    freeCollateralAfter: freeCollateral(after),
    leverageBpsAfter: leverageBps(after),
    liquidationPriceAfter: at >= 0 ? liquidationPrice(after, at) : null,
    passesInitialMargin: verdict.ok,
  };
}
