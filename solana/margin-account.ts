import { freeCollateral, min, type Account, type MarketParams } from '../domain/perp';
import { EMPTY_MARKET_INDEX, type DecodedMarket, type DecodedUser } from './perp-coders';
import { fetchPricedMarket, fetchUser } from './accounts';
import type { RpcPool } from './rpc-pool';

export const big = (v: { toString(): string }) => BigInt(v.toString());

/** A market's on-chain configuration in the domain's terms. */
export function paramsOf(market: DecodedMarket): MarketParams {
  const c = market.config;
  return {
    marketIndex: market.marketIndex,
    symbol: String(market.marketIndex),
    initialMarginBps: big(c.initialMarginBps!),
    maintenanceMarginBps: big(c.maintenanceMarginBps!),
    imfBpsPerSqrtUnit: big(c.imfBpsPerSqrtUnit!),
    takerFeeBps: big(c.takerFeeBps!),
    makerRebateBps: big(c.makerRebateBps!),
    liquidationFeeBps: big(c.liquidationFeeBps!),
    maxLiquidationFractionBps: big(c.maxLiquidationFractionBps!),
    liquidationBufferBps: big(c.liquidationBufferBps!),
    skewScaleBase: big(c.skewScaleBase!),
    fundingRateCap: big(c.fundingRateCap!),
    maxOpenInterestBase: big(c.maxOpenInterestBase!),
    oracleMaxStaleSlots: big(c.oracleMaxStaleSlots!),
    oracleMaxConfidenceBps: big(c.oracleMaxConfidenceBps!),
    oracleMaxTwapDeviationBps: big(c.oracleMaxTwapDeviationBps!),
  };
}

/** The sub-account as the margin math sees it: on-chain collateral, positions, market configs and Pyth prices. */
export async function loadMarginAccount(pool: RpcPool, account: string): Promise<Account> {
  return marginAccountOf(pool, await fetchUser(pool, account));
}

/**
 * The same, for a sub-account already read: its markets and their Pyth prices are read now, except those
 * the caller has just read (`known`, by market index).
 */
export async function marginAccountOf(
  pool: RpcPool,
  user: DecodedUser,
  known: ReadonlyMap<number, Awaited<ReturnType<typeof fetchPricedMarket>>> = new Map(),
): Promise<Account> {
  const positions = [];
  for (const p of user.positions.filter((q) => q.marketIndex !== EMPTY_MARKET_INDEX)) {
    const { market, reading } = known.get(p.marketIndex) ?? (await fetchPricedMarket(pool, p.marketIndex));
    positions.push({
      position: {
        marketIndex: p.marketIndex,
        base: big(p.base),
        quoteEntry: big(p.quoteEntry),
        lastFundingIndex: big(p.lastFundingIndex),
      },
      params: paramsOf(market),
      price: reading.price,
      fundingIndex: big(p.base) < 0n ? big(market.cumulativeFundingIndexShort) : big(market.cumulativeFundingIndexLong),
    });
  }
  return { collateral: big(user.collateral), positions };
}

export function createRiskActivities(pool: RpcPool) {
  return {
    /** What the account may withdraw now, as the program computes it (free collateral, at most the collateral). */
    async freeCollateralOf(account: string): Promise<string> {
      const margin = await loadMarginAccount(pool, account);
      return min(freeCollateral(margin), margin.collateral).toString();
    },
  };
}
