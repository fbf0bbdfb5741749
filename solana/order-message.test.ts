import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PublicKey } from '@solana/web3.js';
import { encodeOrderMessage } from './order-message';

interface GoldenCase {
  user: string;
  marketIndex: number;
  baseAmount: string;
  limitPrice: string;
  reduceOnly: boolean;
  nonce: string;
  expiryTs: string;
  bytes: string;
}
const golden = JSON.parse(readFileSync(new URL('./order-message.golden.json', import.meta.url), 'utf8')) as {
  cases: GoldenCase[];
};

describe("the signed order message (golden bytes, also checked by cargo test against the program's Borsh)", () => {
  it.each(golden.cases)('encodes $baseAmount on market $marketIndex exactly', (c) => {
    const bytes = encodeOrderMessage({
      user: new PublicKey(c.user),
      marketIndex: c.marketIndex,
      baseAmount: BigInt(c.baseAmount),
      limitPrice: BigInt(c.limitPrice),
      reduceOnly: c.reduceOnly,
      nonce: BigInt(c.nonce),
      expiryTs: BigInt(c.expiryTs),
    });
    expect(bytes.toString('hex')).toBe(c.bytes);
  });
});
