import { type PublicKey } from '@solana/web3.js';

/** Domain separation, as in programs/quantdesk-perp/src/state/order.rs. */
export const ORDER_MESSAGE_PREFIX = Buffer.from('quantdesk-order-v1:', 'utf8');

/** The order a trader signs with their wallet; amounts in BASE and PRICE precision. */
export interface OrderMessage {
  user: PublicKey;
  marketIndex: number;
  baseAmount: bigint;
  limitPrice: bigint;
  reduceOnly: boolean;
  nonce: bigint;
  expiryTs: bigint;
}

/** The exact bytes the wallet signs: prefix + Borsh(OrderMessage), matching the program. */
export function encodeOrderMessage(order: OrderMessage): Buffer {
  const body = Buffer.alloc(32 + 2 + 8 + 8 + 1 + 8 + 8);
  let at = 0;
  order.user.toBuffer().copy(body, at);
  at += 32;
  at = body.writeUInt16LE(order.marketIndex, at);
  at = body.writeBigInt64LE(order.baseAmount, at);
  at = body.writeBigUInt64LE(order.limitPrice, at);
  at = body.writeUInt8(order.reduceOnly ? 1 : 0, at);
  at = body.writeBigUInt64LE(order.nonce, at);
  body.writeBigInt64LE(order.expiryTs, at);
  return Buffer.concat([ORDER_MESSAGE_PREFIX, body]);
}
