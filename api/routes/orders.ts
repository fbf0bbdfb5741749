import { Router, type Response } from 'express';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { ORDER_KINDS } from '../../domain/orders';
import {
  amendOrderUpdate,
  cancelOrderUpdate,
  getOrderQuery,
  type OrderView,
  parseWorkflowId,
  startAttributes,
  workflowIds,
} from '../../workflows/definitions';
import type { placeOrderWorkflow } from '../../workflows';
import { isTemporalUnavailable, HttpError, parseInput } from '../http-error';
import type { ApiDeps } from '../deps';
import { startOrFind } from '../start-workflow';
import { checkSignedOrder } from '../../solana/signed-order';
import { InvalidUserTransactionError, parseCancelTransaction } from '../../solana/user-transaction';
import { createPerpProgram } from '../../solana/perp-program';
import { Wallet } from '@coral-xyz/anchor';
import BN from 'bn.js';
import { Keypair, PublicKey, Transaction } from '@solana/web3.js';
import { base58Key as pubkey, intString as int, intStringWhere, positiveIntString } from '../schemas';
import { requireOwnAccount, requireSession, requireWallet } from '../auth/middleware';
import type { Session } from '../auth/sessions';
import { poolOf, unsignedTransaction } from '../chain';
import type { RouteSpec } from '../openapi';

const orderBody = z
  .object({
    order: z
      .object({
        user: pubkey,
        marketIndex: z.number().int().min(0).max(65_534),
        baseAmount: intStringWhere((b) => b !== 0n, 'must not be zero'),
        limitPrice: intStringWhere((b) => b >= 0n, 'must not be negative'),
        reduceOnly: z.boolean(),
        nonce: positiveIntString(),
        expiryTs: int(),
      })
      .strict(),
    authority: pubkey,
    signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'a base64 ed25519 signature'),
    kind: z.enum(ORDER_KINDS),
    triggerPrice: positiveIntString().optional(),
    clientOrderId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 letters, digits, "_" or "-"'),
  })
  .strict()
  .refine((b) => b.kind === 'market' || b.triggerPrice !== undefined, {
    message: 'triggerPrice is required for non-market orders',
    path: ['triggerPrice'],
  });

const amendBody = z.object({ triggerPrice: positiveIntString() }).strict();

const orderIdParams = z.object({
  workflowId: z.string().regex(/^order:[1-9A-HJ-NP-Za-km-z]{32,44}:[A-Za-z0-9_-]{1,64}$/, 'an order workflow ID'),
});

/**
 * POST /v1/orders: a wallet-signed order; POST /v1/orders/:workflowId/cancel cancels a waiting one and
 * POST /v1/orders/:workflowId/amend moves its trigger price (Temporal updates: validated by the workflow,
 * answered once it has applied them).
 */
export function createOrderRouter(deps: ApiDeps): Router {
  const router = Router();
  router.post('/v1/orders', async (req, res) => {
    requireSession(res);
    const body = parseInput(orderBody, req.body, 'body');
    requireWallet(res, body.authority);
    // Nothing starts for an order the wallet did not sign for its own sub-account: no failed workflows,
    // no order IDs taken in another account's name.
    const check = checkSignedOrder(body);
    if (!check.ok && check.reason === 'not_own_sub_account') throw new HttpError(403, 'forbidden', check.message);
    if (!check.ok) throw new HttpError(400, 'invalid_signature', check.message);
    const started = await startOrFind<typeof placeOrderWorkflow>(deps, 'placeOrderWorkflow', {
      workflowId: workflowIds.order(body.order.user, body.clientOrderId),
      args: [body],
      typedSearchAttributes: startAttributes('order', body.order.user, body.order.marketIndex),
    });
    res.status(started.existing ? 200 : 202).json(started);
  });
  router.post('/v1/orders/:workflowId/cancel/build', async (req, res) => {
    const { workflowId } = parseInput(orderIdParams, req.params, 'params');
    const session = requireOwnOrder(res, workflowId);
    const view = await orderView(deps, workflowId);
    const wallet = new PublicKey(session.wallet);
    const ix = await createPerpProgram(poolOf(deps).primary, new Wallet(Keypair.generate()))
      .methods.cancelOrderNonces([new BN(view.nonce)])
      .accountsStrict({ authority: wallet, user: new PublicKey(orderAccount(workflowId)) })
      .instruction();
    res.json({
      transaction: await unsignedTransaction(poolOf(deps), wallet, new Transaction().add(ix)),
      nonce: view.nonce,
    });
  });
  router.post('/v1/orders/:workflowId/cancel', async (req, res) => {
    const { workflowId } = parseInput(orderIdParams, req.params, 'params');
    const session = requireOwnOrder(res, workflowId);
    const body = parseInput(cancelBody, req.body ?? {}, 'body');
    if (!body.signedTransaction) {
      res.json(await orderUpdate(deps, workflowId, 'not_cancellable', (h) => h.executeUpdate(cancelOrderUpdate)));
      return;
    }
    // The wallet's own cancel on chain first: from then on no keeper can fill the order, whatever the
    // workflow's state; then the workflow stops waiting (if it already triggered, its fill is refused).
    const view = await orderView(deps, workflowId);
    const cancel = cancelTransactionOr400(body.signedTransaction);
    if (cancel.wallet !== session.wallet || cancel.account !== orderAccount(workflowId))
      throw new HttpError(403, 'forbidden', "the cancel is not the order's wallet's, for its sub-account");
    if (!cancel.nonces.includes(BigInt(view.nonce)))
      throw new HttpError(400, 'invalid_cancel', `the cancel does not name the order's nonce ${view.nonce}`);
    const { signature } = await poolOf(deps).sendTransaction(cancel.transaction);
    const workflow = await orderUpdate(deps, workflowId, 'not_cancellable', (h) =>
      h.executeUpdate(cancelOrderUpdate),
    ).catch((err: unknown) => {
      if (err instanceof HttpError && err.status === 409)
        return { status: 'cancelled on chain; the workflow had already moved on, its fill is refused' };
      throw err;
    });
    res.json({ ...workflow, cancelSignature: signature });
  });
  router.post('/v1/orders/:workflowId/amend', async (req, res) => {
    const { workflowId } = parseInput(orderIdParams, req.params, 'params');
    requireOwnOrder(res, workflowId);
    const body = parseInput(amendBody, req.body, 'body');
    res.json(
      await orderUpdate(deps, workflowId, 'not_amendable', (h) => h.executeUpdate(amendOrderUpdate, { args: [body] })),
    );
  });
  return router;
}

const cancelBody = z
  .object({
    /** A wallet-signed cancel_order_nonces for the order's nonce (from POST .../cancel/build): cancels on chain too. */
    signedTransaction: z.string().min(1).max(2_000).optional(),
  })
  .strict();

/** The order a running workflow holds (404 when there is no such order, 409 when it has finished). */
async function orderView(deps: ApiDeps, workflowId: string): Promise<OrderView> {
  return orderUpdate(deps, workflowId, 'not_cancellable', (h) => h.query(getOrderQuery));
}

function cancelTransactionOr400(signedTransaction: string) {
  try {
    return parseCancelTransaction(signedTransaction);
  } catch (err) {
    if (err instanceof InvalidUserTransactionError) throw new HttpError(400, 'invalid_cancel', err.message);
    throw err;
  }
}

/** Orders are changed by the wallet that owns their sub-account (order:<sub-account>:<client id>). */
const orderAccount = (workflowId: string): string => parseWorkflowId.order(workflowId)!.account;
const requireOwnOrder = (res: Response, workflowId: string): Session =>
  requireOwnAccount(res, orderAccount(workflowId), 'order');

/** An update to an order's workflow: 404 when there is no such order, 409 when its state refuses it. */
async function orderUpdate<T>(
  deps: ApiDeps,
  workflowId: string,
  refused: string,
  run: (handle: WorkflowHandle) => Promise<T>,
): Promise<T> {
  try {
    return await run(deps.temporal.workflow.getHandle(workflowId));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      // A finished order is no longer waiting (409); one that never existed is a 404.
      const exists = await deps.temporal.workflow
        .getHandle(workflowId)
        .describe()
        .then(
          () => true,
          () => false,
        );
      if (!exists) throw new HttpError(404, 'order_not_found', `no order ${workflowId}`);
      throw new HttpError(409, refused, 'the order has finished');
    }
    // An outage is not a refusal: the error handler answers 503 with Retry-After.
    if (isTemporalUnavailable(err)) throw err;
    throw new HttpError(409, refused, err instanceof Error ? err.message : String(err));
  }
}

export const orderRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/orders',
    summary: 'Place a wallet-signed order; runs placeOrderWorkflow (order:<account>:<clientOrderId>)',
    auth: 'session',
    body: orderBody,
    responses: {
      202: 'workflow started',
      200: 'the same clientOrderId was already placed',
      400: "invalid input (the JSON error names each field), or a signature that is not the wallet's over this order",
      401: 'not signed in',
      429: 'rate limited',
      403: 'signed by another wallet, or for a sub-account the wallet does not own',
    },
  },
  {
    method: 'post',
    path: '/v1/orders/:workflowId/cancel/build',
    summary: "An unsigned cancel_order_nonces for the order's nonce, for the wallet to sign and POST to .../cancel",
    auth: 'session',
    params: orderIdParams,
    responses: {
      200: 'base64 transaction and the nonce',
      400: 'invalid input (the JSON error names each field)',
      401: 'not signed in',
      429: 'rate limited',
      403: "another wallet's order",
      404: 'no such order',
      409: 'the order has finished',
    },
  },
  {
    method: 'post',
    path: '/v1/orders/:workflowId/cancel',
    summary:
      'Cancel an order: with {signedTransaction} on chain first (no keeper can fill it after), then its workflow; without, its workflow only',
    auth: 'session',
    params: orderIdParams,
    body: cancelBody,
    responses: {
      200: 'cancelled',
      400: "invalid input, or a cancel that is not the order's",
      401: 'not signed in',
      429: 'rate limited',
      403: "another wallet's order or cancel",
      404: 'no such order',
      409: 'no longer waiting',
    },
  },
  {
    method: 'post',
    path: '/v1/orders/:workflowId/amend',
    summary: "Move a waiting order's trigger price",
    auth: 'session',
    params: orderIdParams,
    body: amendBody,
    responses: {
      200: 'amended',
      400: 'invalid input (the JSON error names each field)',
      401: 'not signed in',
      429: 'rate limited',
      403: "another wallet's order",
      404: 'no such order',
      409: 'no longer waiting',
    },
  },
];
