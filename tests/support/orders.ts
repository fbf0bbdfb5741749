import { ed25519 } from '@noble/curves/ed25519';
import { encodeOrderMessage } from '../../solana/order-message';
import { toOrderMessage, type OrderWire } from '../../activities/orders';
import type { OrderKind } from '../../domain/orders';
import type { Harness } from './harness';
import type { Trader } from './perp-fixtures';
import { asWallet } from './auth';

/** A market-0 order signed by the trader's wallet, as the terminal would send it to POST /v1/orders. */
export function signedOrderBody(
  trader: Trader,
  baseAmount: bigint,
  limitPrice: bigint,
  kind: OrderKind,
  clientOrderId: string,
  extra: { triggerPrice?: bigint; expiryTs?: bigint; reduceOnly?: boolean } = {},
) {
  const nonce = trader.nextNonce++;
  const order: OrderWire = {
    user: trader.user.toBase58(),
    marketIndex: 0,
    baseAmount: baseAmount.toString(),
    limitPrice: limitPrice.toString(),
    reduceOnly: extra.reduceOnly ?? false,
    nonce: nonce.toString(),
    expiryTs: (extra.expiryTs ?? 4_000_000_000n).toString(),
  };
  const signature = Buffer.from(
    ed25519.sign(encodeOrderMessage(toOrderMessage(order)), trader.wallet.secretKey.subarray(0, 32)),
  ).toString('base64');
  return {
    order,
    authority: trader.wallet.publicKey.toBase58(),
    signature,
    kind,
    clientOrderId,
    ...(extra.triggerPrice ? { triggerPrice: extra.triggerPrice.toString() } : {}),
  };
}

/** Places the order through the API and waits for its workflow's result. */
export async function placeAndWait(
  h: Harness,
  trader: Trader,
  body: unknown,
): Promise<{ workflowId: string; result: unknown }> {
  const res = await asWallet(h.apiUrl, trader.wallet, '/v1/orders', { body });
  const { workflowId } = (await res.json()) as { workflowId: string };
  return { workflowId, result: await h.temporal.workflow.getHandle(workflowId).result() };
}
