import {
  applyFill, DEFAULT_MARKETS, emptyPosition, equity, fillPrice, freeCollateral, leverageBps, liquidationPrice, marginRequirement,
  takerFee, unrealizedPnl, type Account, type MarketParams, type PricedPosition,
} from '@domain/perp';

export interface PreviewInput {
  /** The sub-account as the API reports it (null before the first deposit). */
  account: { equity: string; positions: { marketIndex: number; base: string; quoteEntry: string; markPrice: string }[] } | null;
  marketIndex: number;
  /** Signed size in BASE_PRECISION (> 0 buys). */
  delta: bigint;
  oraclePrice: bigint;
  /** long - short open interest of the market (BASE_PRECISION). */
  skew: bigint;
}

export interface Preview {
  fillPrice: bigint;
  fee: bigint;
  initialRequirement: bigint;
  freeCollateralAfter: bigint;
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
 * The order ticket's live preview with the same domain math the program runs: fill price with skew
 * impact, fee, margin after the fill and the position's liquidation price. Funding owed is folded into
 * collateral (equity minus unrealized PnL), as the API's equity already includes it.
 */
export function previewOrder(input: PreviewInput): Preview {
  const held: PricedPosition[] = (input.account?.positions ?? []).map((p) => ({
    position: { marketIndex: p.marketIndex, base: BigInt(p.base), quoteEntry: BigInt(p.quoteEntry), lastFundingIndex: 0n },
    params: paramsOf(p.marketIndex), price: BigInt(p.markPrice), fundingIndex: 0n,
  }));
  const collateral = BigInt(input.account?.equity ?? '0') - held.reduce((sum, p) => sum + unrealizedPnl(p.position, p.price), 0n);
  const params = paramsOf(input.marketIndex);
  const price = fillPrice(input.oraclePrice, input.skew, input.delta, params.skewScaleBase);
  const fee = takerFee(params, input.delta, price);
  const index = held.findIndex((p) => p.position.marketIndex === input.marketIndex);
  const target = index >= 0 ? held[index]! : { position: emptyPosition(input.marketIndex, 0n), params, price: input.oraclePrice, fundingIndex: 0n };
  const filled = applyFill(target.position, input.delta, price);
  const others = held.filter((_, i) => i !== index);
  const after: Account = {
    collateral: collateral + filled.realizedPnl - fee,
    positions: filled.position.base === 0n ? others : [...others, { ...target, position: filled.position, price: input.oraclePrice }],
  };
  const at = after.positions.findIndex((p) => p.position.marketIndex === input.marketIndex);
  return {
    fillPrice: price,
    fee,
    initialRequirement: marginRequirement(after, 'initial'),
    freeCollateralAfter: freeCollateral(after),
    leverageBpsAfter: leverageBps(after),
    liquidationPriceAfter: at >= 0 ? liquidationPrice(after, at) : null,
    passesInitialMargin: equity(after) >= marginRequirement(after, 'initial'),
  };
}
