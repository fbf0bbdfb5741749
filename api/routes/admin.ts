import { Router, type Response } from 'express';
import { z } from 'zod';
import { listWorkflows, retryWorkflow } from '../../temporal/operations';
import { getProgressQuery, QdStatus } from '../../workflows/definitions';
import { WORKFLOW_KINDS } from '../../domain/workflow-events';
import { HttpError, parseInput } from '../http-error';
import { requireOperator, sessionOf } from '../auth/middleware';
import { Wallet } from '@coral-xyz/anchor';
import { Keypair, PublicKey, Transaction } from '@solana/web3.js';
import { DEFAULT_MARKETS, isBelowMaintenance } from '../../domain/perp';
import { createPerpProgram, PERP_PROGRAM_ID, perpAddresses } from '../../solana/perp-program';
import { marginAccountOf } from '../../solana/margin-account';
import { decodeUser } from '../../solana/perp-coders';
import { ProgramRejectedError } from '../../solana/rpc-pool';
import { InvalidUserTransactionError, parsePauseTransaction } from '../../solana/user-transaction';
import { poolOf, unsignedTransaction } from '../chain';
import { base58Key } from '../schemas';
import { riskOf } from './accounts';
import type { ApiDeps } from '../deps';
import type { RouteSpec } from '../openapi';

const filter = z
  .object({
    account: z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/)
      .optional(),
    market: z
      .string()
      .regex(/^[0-9]{1,5}$/)
      .optional(),
    kind: z.enum(WORKFLOW_KINDS).optional(),
    status: z.enum(['running', 'completed', 'failed', 'cancelled']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
const accountParams = z.object({ account: base58Key }).strict();
const symbolParams = z
  .object({ symbol: z.enum(DEFAULT_MARKETS.map((m) => m.symbol) as [string, ...string[]]) })
  .strict();
const pauseBody = z.object({ paused: z.boolean() }).strict();
const signedPauseBody = z.object({ signedTransaction: z.string().min(1).max(2_000) }).strict();

/** Every principal is checked: the operators' service token never changes a market; an admin signs in. */
function requireAdminSession(res: Response) {
  const session = sessionOf(res);
  if (!session?.roles.includes('admin'))
    throw new HttpError(403, 'forbidden', 'pausing a market needs an admin signed in with their wallet');
  return session;
}
const idParams = z.object({ workflowId: z.string().regex(/^[A-Za-z0-9:_|.-]{1,200}$/, 'a workflow ID') });

/**
 * Operators' routes under /v1/admin: a signed-in operator, or the service bearer token QD_OPERATOR_TOKEN
 * for scripts.
 */
export function createAdminRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use('/v1/admin', requireOperator(deps.config.api.operatorToken));
  router.get('/v1/admin/workflows', async (req, res) => {
    const f = parseInput(filter, req.query, 'query');
    const runs = await listWorkflows(deps.temporal, f, f.limit);
    res.json({
      workflows: runs.map((r) => ({
        workflowId: r.workflowId,
        runId: r.runId,
        type: r.type,
        temporalStatus: r.status.name,
        status: r.typedSearchAttributes.get(QdStatus) ?? null,
        startTime: r.startTime,
        closeTime: r.closeTime ?? null,
        temporalUi: `${deps.config.temporal.uiUrl}/namespaces/${deps.config.temporal.namespace}/workflows/${encodeURIComponent(r.workflowId)}/${r.runId}`,
      })),
    });
  });
  router.get('/v1/admin/workflows/:workflowId/progress', async (req, res) => {
    const { workflowId } = parseInput(idParams, req.params, 'params');
    res.json(await deps.temporal.workflow.getHandle(workflowId).query(getProgressQuery));
  });
  router.post('/v1/admin/workflows/:workflowId/retry', async (req, res) => {
    const { workflowId } = parseInput(idParams, req.params, 'params');
    try {
      res.status(202).json({ workflowId, ...(await retryWorkflow(deps.temporal, workflowId)) });
    } catch (err) {
      throw new HttpError(409, 'not_retryable', err instanceof Error ? err.message : String(err));
    }
  });
  router.get('/v1/admin/accounts/:account/health', async (req, res) => {
    const { account } = parseInput(accountParams, req.params, 'params');
    if (!deps.rpcPool) throw new HttpError(503, 'chain_unavailable', 'this API has no Solana providers configured');
    const pool = deps.rpcPool;
    const info = await pool.call('read the sub-account', (c) => c.getAccountInfo(new PublicKey(account)));
    if (!info || !info.owner.equals(PERP_PROGRAM_ID))
      throw new HttpError(404, 'no_sub_account', `no sub-account ${account}`);
    const margin = await marginAccountOf(pool, decodeUser(info.data));
    res.json({ account, liquidatable: isBelowMaintenance(margin), ...riskOf(margin) });
  });
  // The admin signs a pause with their own wallet (the API holds no admin key): build, sign, submit.
  router.post('/v1/admin/markets/:symbol/pause/build', async (req, res) => {
    const session = requireAdminSession(res);
    const { symbol } = parseInput(symbolParams, req.params, 'params');
    const { paused } = parseInput(pauseBody, req.body, 'body');
    const market = DEFAULT_MARKETS.find((m) => m.symbol === symbol)!;
    const admin = new PublicKey(session.wallet);
    const ix = await createPerpProgram(poolOf(deps).primary, new Wallet(Keypair.generate()))
      .methods.setMarketPaused(paused)
      .accountsStrict({ admin, global: perpAddresses.global(), market: perpAddresses.market(market.marketIndex) })
      .instruction();
    res.json({ transaction: await unsignedTransaction(poolOf(deps), admin, new Transaction().add(ix)) });
  });
  router.post('/v1/admin/markets/:symbol/pause', async (req, res) => {
    const session = requireAdminSession(res);
    const { symbol } = parseInput(symbolParams, req.params, 'params');
    const { signedTransaction } = parseInput(signedPauseBody, req.body, 'body');
    let pause;
    try {
      pause = parsePauseTransaction(signedTransaction);
    } catch (err) {
      if (err instanceof InvalidUserTransactionError) throw new HttpError(400, 'invalid_pause', err.message);
      throw err;
    }
    const market = DEFAULT_MARKETS.find((m) => m.symbol === symbol)!;
    if (pause.admin !== session.wallet || pause.market !== perpAddresses.market(market.marketIndex).toBase58())
      throw new HttpError(403, 'forbidden', `the pause is not signed by this admin for ${symbol}`);
    // The program checks the signer is the global admin (Unauthorized otherwise); setting the flag twice is harmless.
    const { signature } = await poolOf(deps)
      .sendTransaction(pause.transaction)
      .catch((err: unknown) => {
        if (err instanceof ProgramRejectedError) throw new HttpError(403, err.errorName, err.message);
        throw err;
      });
    req.log.info({ symbol, paused: pause.paused, by: session.wallet, signature }, 'market pause changed');
    res.json({ symbol, paused: pause.paused, signature });
  });
  router.post('/v1/admin/workflows/:workflowId/cancel', async (req, res) => {
    const { workflowId } = parseInput(idParams, req.params, 'params');
    await deps.temporal.workflow.getHandle(workflowId).cancel();
    res.status(202).json({ workflowId, cancelRequested: true });
  });
  return router;
}

export const adminRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/admin/workflows',
    summary: 'Workflows by account, market, kind and status (Temporal visibility)',
    auth: 'operator',
    query: filter,
    responses: {
      200: 'the workflows, newest first, with Temporal UI links',
      400: 'invalid input (the JSON error names each field)',
      401: 'not signed in',
      429: 'rate limited',
      403: 'not an operator',
    },
  },
  {
    method: 'get',
    path: '/v1/admin/workflows/:workflowId/progress',
    summary: "A workflow's steps",
    auth: 'operator',
    params: idParams,
    responses: {
      200: 'its progress',
      400: 'invalid input (the JSON error names each field)',
      401: 'not signed in',
      429: 'rate limited',
      403: 'not an operator',
    },
  },
  {
    method: 'post',
    path: '/v1/admin/workflows/:workflowId/retry',
    summary: 'Run a failed workflow again from its input',
    auth: 'operator',
    params: idParams,
    responses: {
      202: 'a new run started',
      400: 'invalid input (the JSON error names each field)',
      401: 'not signed in',
      429: 'rate limited',
      403: 'not an operator',
      409: 'not retryable',
    },
  },
  {
    method: 'get',
    path: '/v1/admin/accounts/:account/health',
    summary: "A sub-account's health from chain state (equity, requirements, liquidation prices)",
    auth: 'operator',
    params: accountParams,
    responses: {
      200: 'health',
      400: 'invalid input',
      401: 'not signed in',
      403: 'not an operator',
      404: 'no such sub-account',
      429: 'rate limited',
    },
  },
  {
    method: 'post',
    path: '/v1/admin/markets/:symbol/pause/build',
    summary: "An unsigned set_market_paused for the signed-in admin's wallet to sign (admin role)",
    auth: 'operator',
    params: symbolParams,
    body: pauseBody,
    responses: {
      200: 'the transaction to sign',
      400: 'invalid input',
      401: 'not signed in',
      403: 'not an admin',
      429: 'rate limited',
      503: 'no Solana providers',
    },
  },
  {
    method: 'post',
    path: '/v1/admin/markets/:symbol/pause',
    summary: "Pause or resume a market on chain with the admin wallet's signed set_market_paused (admin role)",
    auth: 'operator',
    params: symbolParams,
    body: signedPauseBody,
    responses: {
      200: 'set',
      400: 'invalid input or transaction',
      401: 'not signed in',
      403: 'not an admin, or not the program admin',
      429: 'rate limited',
      503: 'no Solana providers',
    },
  },
  {
    method: 'post',
    path: '/v1/admin/workflows/:workflowId/cancel',
    summary: 'Ask a running workflow to cancel',
    auth: 'operator',
    params: idParams,
    responses: {
      202: 'cancellation requested',
      400: 'invalid input (the JSON error names each field)',
      401: 'not signed in',
      429: 'rate limited',
      403: 'not an operator',
    },
  },
];
