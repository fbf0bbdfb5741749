import { createPublicKey, verify } from 'node:crypto';
import { PublicKey } from '@solana/web3.js';
import { encodeOrderMessage, type OrderMessage } from './order-message';
import { findSubAccount } from './user-transaction';

/** An order as it crosses the Temporal boundary: amounts as decimal strings. */
export interface OrderWire {
  user: string;
  marketIndex: number;
  baseAmount: string;
  limitPrice: string;
  reduceOnly: boolean;
  nonce: string;
  expiryTs: string;
}

export interface SignedOrder {
  order: OrderWire;
  authority: string;
  /** The wallet's ed25519 signature of the order message, base64. */
  signature: string;
}

export const toOrderMessage = (o: OrderWire): OrderMessage => ({
  user: new PublicKey(o.user),
  marketIndex: o.marketIndex,
  baseAmount: BigInt(o.baseAmount),
  limitPrice: BigInt(o.limitPrice),
  reduceOnly: o.reduceOnly,
  nonce: BigInt(o.nonce),
  expiryTs: BigInt(o.expiryTs),
});

/** DER SubjectPublicKeyInfo header of a raw 32-byte ed25519 public key (RFC 8410). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export type SignedOrderCheck =
  | { ok: true; account: string; wallet: string; subAccountId: number }
  | { ok: false; reason: 'not_own_sub_account' | 'bad_signature'; message: string };

/**
 * The one check of a signed order, made by the API before it starts anything and by the workflow's first
 * step: the order is for one of the wallet's sub-accounts, and the wallet signed exactly these bytes.
 */
export function checkSignedOrder(s: SignedOrder): SignedOrderCheck {
  const authority = new PublicKey(s.authority);
  let subAccountId: number;
  try {
    subAccountId = findSubAccount(authority, new PublicKey(s.order.user));
  } catch {
    return {
      ok: false,
      reason: 'not_own_sub_account',
      message: 'the order is for a sub-account the wallet does not own',
    };
  }
  let signed = false;
  try {
    // OpenSSL's ed25519 (native): a pure-JS verify cost the API and the worker milliseconds per order.
    const key = createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, authority.toBuffer()]),
      format: 'der',
      type: 'spki',
    });
    signed = verify(null, encodeOrderMessage(toOrderMessage(s.order)), key, Buffer.from(s.signature, 'base64'));
  } catch {
    signed = false;
  }
  if (!signed) return { ok: false, reason: 'bad_signature', message: 'the order is not signed by the wallet' };
  return { ok: true, account: s.order.user, wallet: s.authority, subAccountId };
}
