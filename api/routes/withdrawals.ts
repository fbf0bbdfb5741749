import { Router } from 'express';
import { z } from 'zod';
import { workflowIds } from '../../workflows/definitions';
import type { WithdrawInput } from '../../workflows/withdraw-workflow';
import { HttpError, parseInput } from '../http-error';
import { startUserTransaction } from '../user-transaction';
import type { ApiDeps } from '../deps';
import { requireSession } from '../auth/middleware';
import type { RouteSpec } from '../openapi';

const withdrawBody = z
  .object({
    signedTransaction: z
      .string()
      .min(1)
      .max(2_000)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
    requestId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8-64 letters, digits, "_" or "-"'),
  })
  .strict();

/** POST /v1/withdrawals: a wallet-signed withdraw transaction and the client's request ID (idempotency key). */
export function createWithdrawalRouter(deps: ApiDeps): Router {
  const router = Router();
  router.post('/v1/withdrawals', async (req, res) => {
    requireSession(res);
    const { signedTransaction, requestId } = parseInput(withdrawBody, req.body, 'body');
    const input: WithdrawInput = { signedTransaction, requestId };
    await startUserTransaction(
      deps,
      res,
      'withdraw',
      signedTransaction,
      {
        type: 'withdrawWorkflow',
        workflowId: (intent) => workflowIds.withdraw(intent.account, requestId),
        args: [input],
      },
      async (intent, workflowId) => {
        // One signed transaction is one withdrawal: the same bytes under another request ID start nothing.
        const { rows } = await deps.pool.query<{ id: string; status: string }>(
          "SELECT id, status FROM withdrawals WHERE signature = $1 AND status <> 'duplicate' AND id <> $2 LIMIT 1",
          [intent.signature, workflowId],
        );
        if (rows[0])
          throw new HttpError(
            409,
            'duplicate_withdrawal',
            `this signed transaction is withdrawal ${rows[0].id} (${rows[0].status}); sign a new one for another withdrawal`,
          );
      },
    );
  });
  return router;
}

export const withdrawalRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/withdrawals',
    summary: 'Submit a wallet-signed withdrawal; runs the withdraw saga (withdraw:<account>:<requestId>)',
    auth: 'session',
    body: withdrawBody,
    responses: {
      202: 'workflow started',
      200: 'the same request was already submitted',
      400: 'invalid input (the JSON error names each field)',
      401: 'not signed in',
      429: 'rate limited',
      403: 'signed by another wallet',
      409: 'this signed transaction is already another withdrawal',
    },
  },
];
