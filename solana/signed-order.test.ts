import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519';
import { Keypair } from '@solana/web3.js';
import { encodeOrderMessage } from './order-message';
import { perpAddresses } from './perp-program';
import { checkSignedOrder, toOrderMessage, type OrderWire } from './signed-order';

const wallet = Keypair.generate();
const order: OrderWire = {
  user: perpAddresses.user(wallet.publicKey, 3).toBase58(),
  marketIndex: 0,
  baseAmount: '-1000',
  limitPrice: '150000000',
  reduceOnly: false,
  nonce: '7',
  expiryTs: '4000000000',
};
// Signed as the terminal signs (a wallet's ed25519, here @noble/curves), checked natively.
const sign = (o: OrderWire, secret = wallet.secretKey) =>
  Buffer.from(ed25519.sign(encodeOrderMessage(toOrderMessage(o)), secret.subarray(0, 32))).toString('base64');

describe('checkSignedOrder', () => {
  it("accepts the wallet's signature of exactly this order, for its own sub-account", () => {
    expect(checkSignedOrder({ order, authority: wallet.publicKey.toBase58(), signature: sign(order) })).toEqual({
      ok: true,
      account: order.user,
      wallet: wallet.publicKey.toBase58(),
      subAccountId: 3,
    });
  });

  it("refuses a changed order, another key's signature, and bytes that are no signature", () => {
    const authority = wallet.publicKey.toBase58();
    const changed = { ...order, baseAmount: '-1001' };
    expect(checkSignedOrder({ order: changed, authority, signature: sign(order) })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    expect(checkSignedOrder({ order, authority, signature: sign(order, Keypair.generate().secretKey) })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    expect(checkSignedOrder({ order, authority, signature: Buffer.alloc(10).toString('base64') })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses an order for a sub-account of another wallet', () => {
    const other = Keypair.generate();
    const theirs = { ...order, user: perpAddresses.user(other.publicKey, 0).toBase58() };
    expect(
      checkSignedOrder({ order: theirs, authority: wallet.publicKey.toBase58(), signature: sign(theirs) }),
    ).toMatchObject({ ok: false, reason: 'not_own_sub_account' });
  });
});
