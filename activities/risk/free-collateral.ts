import { ApplicationFailure } from '@temporalio/common';
import { PublicKey } from '@solana/web3.js';
import { freeCollateral, min, type Account, type MarketParams } from '../../domain/perp';
import { perpAccountsCoder, EMPTY_MARKET_INDEX, type DecodedMarket, type DecodedUser } from '../chain/perp-coders';
import { perpAddresses } from '../chain/perp-program';
import { decodePythPrice } from '../chain/pyth-reader';
import type { RpcPool } from '../chain/rpc-pool';

export const big = (v: { toString(): string }) => BigInt(v.toString());

/** A market's on-chain configuration in the domain's terms. */
export function paramsOf(market: DecodedMarket): MarketParams {
  const c = market.config;
  return {
    marketIndex: market.marketIndex, symbol: String(market.marketIndex),
    initialMarginBps: big(c.initialMarginBps!), maintenanceMarginBps: big(c.maintenanceMarginBps!), imfBpsPerSqrtUnit: big(c.imfBpsPerSqrtUnit!),
    takerFeeBps: big(c.takerFeeBps!), makerRebateBps: big(c.makerRebateBps!), liquidationFeeBps: big(c.liquidationFeeBps!),
    maxLiquidationFractionBps: big(c.maxLiquidationFractionBps!), liquidationBufferBps: big(c.liquidationBufferBps!),
    skewScaleBase: big(c.skewScaleBase!), fundingRateCap: big(c.fundingRateCap!), maxOpenInterestBase: big(c.maxOpenInterestBase!),
    oracleMaxStaleSlots: big(c.oracleMaxStaleSlots!), oracleMaxConfidenceBps: big(c.oracleMaxConfidenceBps!),
    oracleMaxTwapDeviationBps: big(c.oracleMaxTwapDeviationBps!),
  };
}

/** The sub-account as the margin math sees it: on-chain collateral, positions, market configs and Pyth prices. */
export async function loadMarginAccount(pool: RpcPool, account: string): Promise<Account> {
  const info = await pool.call('read a user account', (c) => c.getAccountInfo(new PublicKey(account)));
  if (!info) throw ApplicationFailure.create({ type: 'AccountNotFound', message: `no sub-account ${account}`, nonRetryable: true });
  const user = perpAccountsCoder.decode<DecodedUser>('user', info.data);
  const open = user.positions.filter((p) => p.marketIndex !== EMPTY_MARKET_INDEX);
  const positions = [];
  for (const p of open) {
    const marketInfo = await pool.call('read a market', (c) => c.getAccountInfo(perpAddresses.market(p.marketIndex)));
    if (!marketInfo) throw new Error(`market ${p.marketIndex} is missing on chain`);
    const market = perpAccountsCoder.decode<DecodedMarket>('market', marketInfo.data);
    const oracle = await pool.call('read an oracle', (c) => c.getAccountInfo(new PublicKey(market.oracle.toBase58())));
    if (!oracle) throw new Error(`oracle of market ${p.marketIndex} is missing`);
    positions.push({
      position: { marketIndex: p.marketIndex, base: big(p.base), quoteEntry: big(p.quoteEntry), lastFundingIndex: big(p.lastFundingIndex) },
      params: paramsOf(market),
      price: decodePythPrice(oracle.data).price,
      fundingIndex: big(market.cumulativeFundingIndex),
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
