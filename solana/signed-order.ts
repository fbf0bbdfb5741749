import { PublicKey } from '@solana/web3.js';
import { ed25519 } from '@noble/curves/ed25519';
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
  user: new PublicKey(o.user), marketIndex: o.marketIndex, baseAmount: BigInt(o.baseAmount), limitPrice: BigInt(o.limitPrice),
  reduceOnly: o.reduceOnly, nonce: BigInt(o.nonce), expiryTs: BigInt(o.expiryTs),
});

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
    return { ok: false, reason: 'not_own_sub_account', message: 'the order is for a sub-account the wallet does not own' };
  }
  let signed = false;
  try {
    signed = ed25519.verify(Buffer.from(s.signature, 'base64'), encodeOrderMessage(toOrderMessage(s.order)), authority.toBytes());
  } catch {
    signed = false;
  }
  if (!signed) return { ok: false, reason: 'bad_signature', message: 'the order is not signed by the wallet' };
  return { ok: true, account: s.order.user, wallet: s.authority, subAccountId };
}
