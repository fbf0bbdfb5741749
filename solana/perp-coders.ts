import { BorshAccountsCoder, BorshCoder, type Idl } from '@coral-xyz/anchor';
import { convertIdlToCamelCase } from '@coral-xyz/anchor/dist/cjs/idl.js';
import { QUANTDESK_PERP_IDL } from '../programs/quantdesk-perp/idl/quantdesk_perp';

const camelIdl = convertIdlToCamelCase(QUANTDESK_PERP_IDL as unknown as Idl);
/** Decodes the program's accounts with the same camelCase names Anchor's Program uses. */
export const perpAccountsCoder = new BorshAccountsCoder(camelIdl);
/** Decodes the program's defined types (e.g. the TradeReport its fills and liquidations return). */
export const perpTypesCoder = new BorshCoder(camelIdl).types;

type Num = { toString(): string };

export interface DecodedUser {
  authority: { toBase58(): string };
  /** What the PnL pool owes the account and could not pay yet (USDC; not collateral until paid). */
  unsettledPnl: Num;
  collateral: Num;
  positions: { marketIndex: number; base: Num; quoteEntry: Num; lastFundingIndex: Num }[];
  /** Liquidation episodes started; the open one while beingLiquidated. */
  liquidationSeq: Num;
  beingLiquidated: boolean;
  liquidationSteps: Num;
  episodeSteps: number;
}

/** The index the next step of the account's current episode must name (User::next_liquidation_step). */
export const nextLiquidationStep = (user: Pick<DecodedUser, 'beingLiquidated' | 'episodeSteps'>): number =>
  user.beingLiquidated ? user.episodeSteps : 0;

/** The episode a liquidation started now belongs to (the program's User::current_liquidation_seq). */
export const currentLiquidationSeq = (user: Pick<DecodedUser, 'liquidationSeq' | 'beingLiquidated'>): bigint =>
  BigInt(user.liquidationSeq.toString()) + (user.beingLiquidated ? 0n : 1n);

export interface DecodedMarket {
  marketIndex: number;
  oracle: { toBase58(): string };
  cumulativeFundingIndexLong: Num;
  cumulativeFundingIndexShort: Num;
  longOpenInterest: Num;
  shortOpenInterest: Num;
  markTwap: Num;
  oracleTwap: Num;
  lastFundingRate: Num;
  lastFundingTs: Num;
  /** The index change the last funding crank applied (to both sides). */
  lastFundingDelta: Num;
  paused: boolean;
  config: Record<string, Num>;
  /** What `oracle` is: `{ pyth: {} }` or `{ switchboardOnDemand: {} }` (pyth-reader oracleKindOf). */
  oracleSource: { pyth?: object; switchboardOnDemand?: object };
}

export const EMPTY_MARKET_INDEX = 65_535;
