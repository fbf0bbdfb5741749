import { Router } from 'express';
import { z } from 'zod';
import { listWorkflows, retryWorkflow } from '../../temporal/operations';
import { getProgressQuery, QdStatus } from '../../workflows/definitions';
import { WORKFLOW_KINDS } from '../../domain/workflow-events';
import { HttpError, parseInput } from '../http-error';
import { requireOperator, sessionOf } from '../auth/middleware';
import { Wallet } from '@coral-xyz/anchor';
import { PublicKey } from '@solana/web3.js';
import { DEFAULT_MARKETS, isBelowMaintenance } from '../../domain/perp';
import { createPerpProgram, PERP_PROGRAM_ID, perpAddresses } from '../../solana/perp-program';
import { marginAccountOf } from '../../solana/margin-account';
import { perpAccountsCoder, type DecodedUser } from '../../solana/perp-coders';
import { loadAdminKeypair } from '../../solana/keeper-key';
import { sendAsKeeper } from '../../solana/keeper-send';
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
    const margin = await marginAccountOf(pool, perpAccountsCoder.decode<DecodedUser>('user', info.data));
    res.json({ account, liquidatable: isBelowMaintenance(margin), ...riskOf(margin) });
  });
  router.post('/v1/admin/markets/:symbol/pause', async (req, res) => {
    // Every principal is checked: the operators' service token reads and retries, it never changes a market.
    const session = sessionOf(res);
    if (!session?.roles.includes('admin'))
      throw new HttpError(403, 'forbidden', 'pausing a market needs an admin signed in with their wallet');
    const { symbol } = parseInput(symbolParams, req.params, 'params');
    const { paused } = parseInput(pauseBody, req.body, 'body');
    if (!deps.rpcPool) throw new HttpError(503, 'chain_unavailable', 'this API has no Solana providers configured');
    if (!deps.config.solana.adminKeypairFile)
      throw new HttpError(503, 'admin_key_missing', 'this API has no program admin key (QD_ADMIN_KEYPAIR_FILE)');
    const admin = loadAdminKeypair(deps.config.solana.adminKeypairFile);
    const market = DEFAULT_MARKETS.find((m) => m.symbol === symbol)!;
    const program = createPerpProgram(deps.rpcPool.primary, new Wallet(admin));
    const ix = await program.methods
      .setMarketPaused(paused)
      .accountsStrict({
        admin: admin.publicKey,
        global: perpAddresses.global(),
        market: perpAddresses.market(market.marketIndex),
      })
      .instruction();
    // Setting the flag is idempotent: a repeated request sets it to the same value.
    const signature = await sendAsKeeper(deps.rpcPool, admin, [ix]);
    req.log.info({ symbol, paused, by: session.wallet, signature }, 'market pause changed');
    res.json({ symbol, paused, signature });
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
    path: '/v1/admin/markets/:symbol/pause',
    summary: 'Pause or resume a market on chain (admin role)',
    auth: 'operator',
    params: symbolParams,
    body: pauseBody,
    responses: {
      200: 'set',
      400: 'invalid input',
      401: 'not signed in',
      403: 'not an admin',
      429: 'rate limited',
      503: 'no admin key',
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
