import { divCeil, divFloor, type OracleReading } from '../domain/perp';

// Switchboard on-demand pull feeds (issue 14): `PullFeedAccountData` of the switchboard-on-demand crate
// (repr(C), after Anchor's 8-byte discriminator), decoded by its layout as the program does
// (controller/oracle.rs); the Switchboard SDK's loader would fetch the IDL from the chain instead. The
// current result's value and standard deviation are i128 with 18 decimals.

export const SWITCHBOARD_ON_DEMAND_PROGRAM = 'SBondMDrcV3K4kxZR1HNVT7osZxAHVHgYXL5Ze1oMUv';
export const SWITCHBOARD_DISCRIMINATOR = Buffer.from([196, 27, 108, 196, 10, 215, 219, 40]);
export const SWITCHBOARD_FEED_LEN = 8 + 3200;
/** Byte offsets in the account (the crate's struct, after the discriminator). */
export const SWITCHBOARD_OFFSETS = {
  lastUpdateTimestamp: 8 + 2208,
  resultValue: 8 + 2256,
  resultStdDev: 8 + 2272,
  resultMean: 8 + 2288,
  resultRange: 8 + 2304,
  resultMin: 8 + 2320,
  resultMax: 8 + 2336,
  resultNumSamples: 8 + 2352,
  resultSlot: 8 + 2360,
  resultMinSlot: 8 + 2368,
  resultMaxSlot: 8 + 2376,
  maxStaleness: 8 + 2384,
} as const;
const {
  resultValue: RESULT_VALUE,
  resultStdDev: RESULT_STD_DEV,
  resultNumSamples: RESULT_NUM_SAMPLES,
  resultSlot: RESULT_SLOT,
} = SWITCHBOARD_OFFSETS;
/** 18 decimals to PRICE_PRECISION's 6. */
const TO_PRICE = 10n ** 12n;

/** A feed's current result in PRICE_PRECISION; `trading` false when it holds no samples (stale). */
export interface SwitchboardPrice extends OracleReading {
  trading: boolean;
}

/** Decodes a pull feed account; throws on another account's bytes. */
export function decodeSwitchboardFeed(data: Buffer): SwitchboardPrice {
  if (data.length < SWITCHBOARD_FEED_LEN || !data.subarray(0, 8).equals(SWITCHBOARD_DISCRIMINATOR))
    throw new Error('not a Switchboard on-demand pull feed account');
  const slot = data.readBigUInt64LE(RESULT_SLOT);
  const stdDev = readI128(data, RESULT_STD_DEV);
  return {
    price: divFloor(readI128(data, RESULT_VALUE), TO_PRICE),
    confidence: divCeil(stdDev < 0n ? -stdDev : stdDev, TO_PRICE),
    publishSlot: slot,
    trading: slot > 0n && data[RESULT_NUM_SAMPLES]! > 0,
  };
}

export function readI128(data: Buffer, at: number): bigint {
  return data.readBigInt64LE(at + 8) * 2n ** 64n + data.readBigUInt64LE(at);
}
