import { Router } from 'express';
import { z } from 'zod';
import { workflowIds } from '../../workflows/definitions';
import type { DepositInput } from '../../workflows/deposit-workflow';
import { parseInput } from '../http-error';
import { startUserTransaction } from '../user-transaction';
import type { ApiDeps } from '../deps';
import { requireSession } from '../auth/middleware';
import type { RouteSpec } from '../openapi';

const depositBody = z
  .object({
    signedTransaction: z
      .string()
      .min(1)
      .max(2_000)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
  })
  .strict();

/**
 * POST /v1/deposits (signed in as the depositing wallet): a wallet-signed deposit transaction. Checked here (400 when malformed, unsigned or
 * not a deposit into the signer's sub-account), then run by depositWorkflow under `deposit:<signature>`:
 * submitting the same transaction again finds that workflow.
 */
export function createDepositRouter(deps: ApiDeps): Router {
  const router = Router();
  router.post('/v1/deposits', async (req, res) => {
    requireSession(res);
    const { signedTransaction } = parseInput(depositBody, req.body, 'body');
    const input: DepositInput = { signedTransaction };
    await startUserTransaction(deps, res, 'deposit', signedTransaction, {
      type: 'depositWorkflow',
      workflowId: (intent) => workflowIds.deposit(intent.signature),
      args: [input],
    });
  });
  return router;
}

export const depositRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/deposits',
    summary: 'Submit a wallet-signed deposit; runs depositWorkflow (deposit:<signature>)',
    auth: 'session',
    body: depositBody,
    responses: {
      202: 'workflow started',
      200: 'the same deposit was already submitted',
      400: 'invalid input (the JSON error names each field)',
      401: 'not signed in',
      429: 'rate limited',
      403: 'signed by another wallet',
    },
  },
];
