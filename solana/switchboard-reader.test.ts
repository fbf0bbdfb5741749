import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { switchboardFeedBytes } from '../tests/support/switchboard-feed';
import { decodeSwitchboardFeed } from './switchboard-reader';

interface Case {
  name: string;
  value: string;
  stdDev: string;
  slot: string;
  numSamples: number;
  timestamp: string;
  expected: { price: string; confidence: string; publishSlot: string } | 'stale';
  hex: string;
}
const golden = JSON.parse(readFileSync(new URL('./switchboard.golden.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

describe('Switchboard pull feeds (golden bytes, also read by cargo test through the program and the localnet writer)', () => {
  it.each(golden.cases)('$name', (c) => {
    const bytes = Buffer.from(c.hex, 'hex');
    const reading = decodeSwitchboardFeed(bytes);
    if (c.expected === 'stale') expect(reading.trading).toBe(false);
    else
      expect(reading).toEqual({
        price: BigInt(c.expected.price),
        confidence: BigInt(c.expected.confidence),
        publishSlot: BigInt(c.expected.publishSlot),
        trading: true,
      });
    const written = switchboardFeedBytes({
      value: BigInt(c.value),
      stdDev: BigInt(c.stdDev),
      slot: BigInt(c.slot),
      numSamples: c.numSamples,
      timestamp: BigInt(c.timestamp),
    });
    expect(written.toString('hex')).toBe(c.hex);
  });

  it("refuses another account's bytes", () => {
    const bytes = Buffer.from(golden.cases[0]!.hex, 'hex');
    expect(() => decodeSwitchboardFeed(bytes.subarray(0, 3000))).toThrow(/not a Switchboard/);
    const other = Buffer.from(bytes);
    other[0] = 0;
    expect(() => decodeSwitchboardFeed(other)).toThrow(/not a Switchboard/);
  });
});
