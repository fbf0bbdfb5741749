import { ApplicationFailure } from '@temporalio/common';
import { PublicKey } from '@solana/web3.js';
import {
  type DecodedMarket,
  type DecodedUser,
  decodeUser,
  EMPTY_MARKET_INDEX,
  perpAccountsCoder,
  perpTypesCoder,
} from './perp-coders';
import { PERP_PROGRAM_ID, perpAddresses } from './perp-program';
import { oracleKindOf, readOraclePrice, type OracleKind, type OraclePrice } from './pyth-reader';
import type { RpcPool } from './rpc-pool';
import { accountData } from './account-data';

export { fetchAccountsData, type AccountBytes } from './account-data';

/** The program's accounts read through the pool and decoded; a missing one is a named, final failure. */
export async function fetchUser(pool: RpcPool, account: string): Promise<DecodedUser> {
  const data = await accountData(pool, 'read a user account', new PublicKey(account).toBase58());
  if (!data)
    throw ApplicationFailure.create({
      type: 'AccountNotFound',
      message: `no sub-account ${account}`,
      nonRetryable: true,
    });
  return decodeUser(data);
}

export async function fetchMarket(pool: RpcPool, marketIndex: number): Promise<DecodedMarket> {
  const data = await accountData(pool, 'read a market', perpAddresses.market(marketIndex).toBase58());
  if (!data)
    throw ApplicationFailure.create({ type: 'UnknownMarket', message: `no market ${marketIndex}`, nonRetryable: true });
  return perpAccountsCoder.decode<DecodedMarket>('market', data);
}

/** Every sub-account of the program, decoded, by address: one program-account scan (seconds on a large book). */
export async function scanUsers(pool: RpcPool): Promise<Map<string, DecodedUser>> {
  const filters = [{ memcmp: perpAccountsCoder.memcmp('user') as { offset: number; bytes: string } }];
  const all = await pool.call(
    'scan the program accounts',
    (c) => c.getProgramAccounts(PERP_PROGRAM_ID, { commitment: 'confirmed', filters }),
    { bulk: true },
  );
  return new Map(all.map(({ pubkey, account }) => [pubkey.toBase58(), decodeUser(account.data)]));
}

/** A market with its oracle's current reading (Pyth or Switchboard, as the market names). */
export async function fetchPricedMarket(
  pool: RpcPool,
  marketIndex: number,
): Promise<{ market: DecodedMarket; oracle: PublicKey; reading: OraclePrice }> {
  const market = await fetchMarket(pool, marketIndex);
  const oracle = new PublicKey(market.oracle.toBase58());
  return { market, oracle, reading: await readOraclePrice(pool, oracle, oracleKindOf(market)) };
}

export async function fetchInsuranceFund(pool: RpcPool): Promise<bigint> {
  return (await fetchPools(pool)).insuranceFund;
}

/** The insurance fund and the PnL pool (QUOTE_PRECISION; the pool may be negative while it fronts a socialized loss). */
export async function fetchPools(pool: RpcPool): Promise<{ insuranceFund: bigint; pnlPool: bigint }> {
  const data = await accountData(pool, 'read the global state', perpAddresses.global().toBase58());
  if (!data) throw new Error('the program has no global state');
  const global = perpAccountsCoder.decode<{ insuranceFund: { toString(): string }; pnlPool: { toString(): string } }>(
    'globalState',
    data,
  );
  return { insuranceFund: BigInt(global.insuranceFund.toString()), pnlPool: BigInt(global.pnlPool.toString()) };
}

/** What fill_order and liquidate executed, from the transaction's return data (amounts as decimal strings). */
export interface TradeReport {
  marketIndex: number;
  baseDelta: string;
  price: string;
  fee: string;
  realizedPnl: string;
  fundingPaid: string;
  baseAfter: string;
  quoteEntryAfter: string;
  collateralAfter: string;
}

/** What liquidate executed: the step (a zero baseDelta when it only closed an episode) and the episode after it. */
export interface LiquidationReport {
  trade: TradeReport;
  liquidationSeq: string;
  beingLiquidated: boolean;
  /** Steps executed in the episode: the index the next step must name. */
  episodeSteps: number;
}

/** What resolve_bankruptcy did (QUOTE_PRECISION): the deficit, the insurance fund's part and the socialized rest. */
export interface BankruptcyReport {
  deficit: string;
  insurancePaid: string;
  socializedLoss: string;
}

type Decoded = Record<string, { toString(): string }>;

/**
 * The value a landed instruction of the program returned (Anchor return data), decoded as `typeName`.
 * The transaction is confirmed when this runs; a provider that has not indexed it yet throws, and the
 * pool or the activity retries.
 */
async function fetchReturned(pool: RpcPool, signature: string, typeName: string): Promise<Decoded> {
  // The node's answer as it is (the transaction itself as base64, which is not read here).
  const tx = await pool.request<{
    meta: { returnData?: { programId: string; data: [string, string] } | null } | null;
  } | null>('read a transaction', 'getTransaction', [
    signature,
    { commitment: 'confirmed', maxSupportedTransactionVersion: 0, encoding: 'base64' },
  ]);
  const returned = tx?.meta?.returnData;
  if (!returned || returned.programId !== PERP_PROGRAM_ID.toBase58())
    throw new Error(`transaction ${signature} has no ${typeName} from the program`);
  return perpTypesCoder.decode<Decoded>(typeName, Buffer.from(returned.data[0], 'base64'));
}

function tradeReportOf(r: Decoded): TradeReport {
  return {
    marketIndex: Number(r.marketIndex!.toString()),
    baseDelta: r.baseDelta!.toString(),
    price: r.price!.toString(),
    fee: r.fee!.toString(),
    realizedPnl: r.realizedPnl!.toString(),
    fundingPaid: r.fundingPaid!.toString(),
    baseAfter: r.baseAfter!.toString(),
    quoteEntryAfter: r.quoteEntryAfter!.toString(),
    collateralAfter: r.collateralAfter!.toString(),
  };
}

/** The TradeReport a landed fill returned. */
export async function fetchTradeReport(pool: RpcPool, signature: string): Promise<TradeReport> {
  return tradeReportOf(await fetchReturned(pool, signature, 'tradeReport'));
}

/** The LiquidationReport a landed liquidation step returned. */
export async function fetchLiquidationReport(pool: RpcPool, signature: string): Promise<LiquidationReport> {
  const r = await fetchReturned(pool, signature, 'liquidationReport');
  return {
    trade: tradeReportOf(r.trade as unknown as Decoded),
    liquidationSeq: r.liquidationSeq!.toString(),
    beingLiquidated: (r.beingLiquidated as unknown) === true,
    episodeSteps: Number(r.episodeSteps!.toString()),
  };
}

/** The BankruptcyReport a landed resolve_bankruptcy returned. */
export async function fetchBankruptcyReport(pool: RpcPool, signature: string): Promise<BankruptcyReport> {
  const r = await fetchReturned(pool, signature, 'bankruptcyReport');
  return {
    deficit: r.deficit!.toString(),
    insurancePaid: r.insurancePaid!.toString(),
    socializedLoss: r.socializedLoss!.toString(),
  };
}

/**
 * Each pool's markets' oracles and their kinds, re-read after ORACLE_CACHE_MS (by the pool's clock): a
 * market's oracle changes only by the admin's set_market_oracle, which running keepers and monitors then
 * follow within that time.
 */
const oracleCache = new WeakMap<
  RpcPool,
  Map<number, { reading: Promise<{ oracle: PublicKey; kind: OracleKind }>; readAt: number }>
>();
export const ORACLE_CACHE_MS = 10_000;

export async function marketOracleOf(
  pool: RpcPool,
  marketIndex: number,
): Promise<{ oracle: PublicKey; kind: OracleKind }> {
  let known = oracleCache.get(pool);
  if (!known) oracleCache.set(pool, (known = new Map()));
  let entry = known.get(marketIndex);
  const now = pool.now();
  if (!entry || now - entry.readAt >= ORACLE_CACHE_MS) {
    // One read however many callers ask at once (a burst of liquidations); a failed read is not kept.
    const reading = fetchMarket(pool, marketIndex).then((market) => ({
      oracle: new PublicKey(market.oracle.toBase58()),
      kind: oracleKindOf(market),
    }));
    entry = { reading, readAt: now };
    known.set(marketIndex, entry);
    const cached = entry;
    reading.catch(() => {
      if (known.get(marketIndex) === cached) known.delete(marketIndex);
    });
  }
  return entry.reading;
}

export async function oracleOf(pool: RpcPool, marketIndex: number): Promise<PublicKey> {
  return (await marketOracleOf(pool, marketIndex)).oracle;
}

/**
 * The (market, oracle) pairs of a sub-account's open positions other than in `exceptMarket`: the remaining
 * accounts the program reads to value the rest of a cross-margined account (fills, liquidations, withdrawals).
 */
export async function otherMarketsOf(
  pool: RpcPool,
  user: Pick<DecodedUser, 'positions'>,
  exceptMarket?: number,
): Promise<{ market: PublicKey; oracle: PublicKey }[]> {
  const held = user.positions.filter((p) => p.marketIndex !== EMPTY_MARKET_INDEX && p.marketIndex !== exceptMarket);
  return Promise.all(
    held.map(async (p) => ({
      market: perpAddresses.market(p.marketIndex),
      oracle: await oracleOf(pool, p.marketIndex),
    })),
  );
}
