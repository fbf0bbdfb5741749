import { BorshAccountsCoder, BorshCoder, type Idl } from '@coral-xyz/anchor';
import bs58 from 'bs58';
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

/** Anchor's 8-byte discriminator of the program's User accounts. */
const USER_DISCRIMINATOR = Buffer.from(camelIdl.accounts!.find((a) => a.name === 'user')!.discriminator);
const MAX_POSITIONS = 8;
/** PerpPosition: market_index u16, base i64, quote_entry i64, last_funding_index i128. */
const POSITION_BYTES = 2 + 8 + 8 + 16;
/** Where User's fields start (Borsh, after the discriminator; the program's state/user.rs, in its order). */
const USER = {
  authority: 8,
  collateral: 8 + 32 + 2, // after authority and sub_account_id
  positions: 8 + 32 + 2 + 8 + 8, // after collateral and last_order_nonce
} as const;
const USER_TAIL = USER.positions + MAX_POSITIONS * POSITION_BYTES + 1; // after the positions and bump
const USER_FIELDS = {
  liquidationSeq: USER_TAIL,
  beingLiquidated: USER_TAIL + 8,
  liquidationSteps: USER_TAIL + 9,
  episodeSteps: USER_TAIL + 17,
  unsettledPnl: USER_TAIL + 19 + 64 * 8, // after the 64 order nonces
} as const;
/** The User account's size (InitSpace plus the discriminator). */
export const USER_ACCOUNT_BYTES = USER_FIELDS.unsettledPnl + 8;

/**
 * A User account's fields the services read (DecodedUser), straight from its bytes: the same values
 * Anchor's coder gives (a test compares them on random accounts), without decoding the 64 order nonces
 * into big numbers, which made every account read of the risk monitor and the keeper several times dearer.
 * Amounts are bigints.
 */
export function decodeUser(data: Buffer): DecodedUser {
  if (data.length < USER_ACCOUNT_BYTES || !data.subarray(0, 8).equals(USER_DISCRIMINATOR))
    throw new Error('not a User account (discriminator or size)');
  const authority = data.subarray(USER.authority, USER.authority + 32);
  const positions: DecodedUser['positions'] = [];
  for (let i = 0, at = USER.positions; i < MAX_POSITIONS; i++, at += POSITION_BYTES)
    positions.push({
      marketIndex: data.readUInt16LE(at),
      base: data.readBigInt64LE(at + 2),
      quoteEntry: data.readBigInt64LE(at + 10),
      lastFundingIndex: data.readBigInt64LE(at + 26) * 2n ** 64n + data.readBigUInt64LE(at + 18),
    });
  return {
    authority: { toBase58: () => bs58.encode(authority) },
    collateral: data.readBigInt64LE(USER.collateral),
    positions,
    liquidationSeq: data.readBigUInt64LE(USER_FIELDS.liquidationSeq),
    beingLiquidated: data[USER_FIELDS.beingLiquidated] !== 0,
    liquidationSteps: data.readBigUInt64LE(USER_FIELDS.liquidationSteps),
    episodeSteps: data.readUInt16LE(USER_FIELDS.episodeSteps),
    unsettledPnl: data.readBigUInt64LE(USER_FIELDS.unsettledPnl),
  };
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
