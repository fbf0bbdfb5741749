import {
  SWITCHBOARD_DISCRIMINATOR,
  SWITCHBOARD_FEED_LEN,
  SWITCHBOARD_OFFSETS as O,
} from '../../solana/switchboard-reader';

function writeI128(data: Buffer, at: number, v: bigint): void {
  const u = BigInt.asUintN(128, v);
  data.writeBigUInt64LE(u & (2n ** 64n - 1n), at);
  data.writeBigUInt64LE(u >> 64n, at + 8);
}

/**
 * A Switchboard on-demand pull feed account's bytes with a current result (value and standard deviation
 * with 18 decimals, the slot it was sampled at, how many samples), laid out as the switchboard-on-demand
 * crate's PullFeedAccountData: what solana/switchboard.golden.json holds and the localnet writes.
 */
export function switchboardFeedBytes(r: {
  value: bigint;
  stdDev: bigint;
  slot: bigint;
  numSamples: number;
  timestamp: bigint;
}): Buffer {
  const data = Buffer.alloc(SWITCHBOARD_FEED_LEN);
  SWITCHBOARD_DISCRIMINATOR.copy(data, 0);
  data.writeBigInt64LE(r.timestamp, O.lastUpdateTimestamp);
  writeI128(data, O.resultValue, r.value);
  writeI128(data, O.resultStdDev, r.stdDev);
  writeI128(data, O.resultMean, r.value);
  writeI128(data, O.resultRange, 0n);
  writeI128(data, O.resultMin, r.value);
  writeI128(data, O.resultMax, r.value);
  data[O.resultNumSamples] = r.numSamples;
  data.writeBigUInt64LE(r.slot, O.resultSlot);
  data.writeBigUInt64LE(r.slot, O.resultMinSlot);
  data.writeBigUInt64LE(r.slot, O.resultMaxSlot);
  data.writeUInt32LE(100, O.maxStaleness);
  return data;
}
