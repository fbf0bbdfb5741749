import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import BN from 'bn.js';
import { PublicKey } from '@solana/web3.js';
import { decodeUser, perpAccountsCoder, USER_ACCOUNT_BYTES, type DecodedUser } from './perp-coders';

const int = (bits: number, signed: boolean) =>
  signed ? fc.bigInt(-(2n ** BigInt(bits - 1)), 2n ** BigInt(bits - 1) - 1n) : fc.bigInt(0n, 2n ** BigInt(bits) - 1n);
const bn = (v: bigint) => new BN(v.toString());

const position = fc.record({
  marketIndex: fc.integer({ min: 0, max: 65_535 }),
  base: int(64, true),
  quoteEntry: int(64, true),
  lastFundingIndex: int(128, true),
});

const user = fc.record({
  authority: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  subAccountId: fc.integer({ min: 0, max: 65_535 }),
  collateral: int(64, true),
  lastOrderNonce: int(64, false),
  positions: fc.array(position, { minLength: 8, maxLength: 8 }),
  bump: fc.integer({ min: 0, max: 255 }),
  liquidationSeq: int(64, false),
  beingLiquidated: fc.boolean(),
  liquidationSteps: int(64, false),
  episodeSteps: fc.integer({ min: 0, max: 65_535 }),
  orderNonces: fc.array(int(64, false), { minLength: 64, maxLength: 64 }),
  unsettledPnl: int(64, false),
});

/** A decoded user's fields as strings (Anchor gives BNs and a PublicKey, decodeUser bigints). */
const plain = (u: DecodedUser) => ({
  authority: u.authority.toBase58(),
  collateral: u.collateral.toString(),
  unsettledPnl: u.unsettledPnl.toString(),
  liquidationSeq: u.liquidationSeq.toString(),
  beingLiquidated: u.beingLiquidated,
  liquidationSteps: u.liquidationSteps.toString(),
  episodeSteps: u.episodeSteps,
  positions: u.positions.map((p) => ({
    marketIndex: p.marketIndex,
    base: p.base.toString(),
    quoteEntry: p.quoteEntry.toString(),
    lastFundingIndex: p.lastFundingIndex.toString(),
  })),
});

describe('decodeUser', () => {
  it("reads every field the services use exactly as Anchor's coder does", async () => {
    await fc.assert(
      fc.asyncProperty(user, async (u) => {
        const data = await perpAccountsCoder.encode('user', {
          ...u,
          authority: new PublicKey(u.authority),
          collateral: bn(u.collateral),
          lastOrderNonce: bn(u.lastOrderNonce),
          positions: u.positions.map((p) => ({
            marketIndex: p.marketIndex,
            base: bn(p.base),
            quoteEntry: bn(p.quoteEntry),
            lastFundingIndex: bn(p.lastFundingIndex),
          })),
          liquidationSeq: bn(u.liquidationSeq),
          liquidationSteps: bn(u.liquidationSteps),
          orderNonces: u.orderNonces.map(bn),
          unsettledPnl: bn(u.unsettledPnl),
        });
        expect(data.length).toBe(USER_ACCOUNT_BYTES);
        expect(plain(decodeUser(data))).toEqual(plain(perpAccountsCoder.decode<DecodedUser>('user', data)));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses bytes that are not a User account', () => {
    const market = Buffer.alloc(USER_ACCOUNT_BYTES);
    expect(() => decodeUser(market)).toThrow(/not a User account/);
    expect(() => decodeUser(Buffer.alloc(10))).toThrow(/not a User account/);
    const discriminator = perpAccountsCoder.accountDiscriminator('user');
    const short = Buffer.concat([discriminator, Buffer.alloc(USER_ACCOUNT_BYTES - 9)]);
    expect(() => decodeUser(short)).toThrow(/not a User account/);
    expect(decodeUser(Buffer.concat([short, Buffer.alloc(1)])).collateral.toString()).toBe('0');
  });
});
