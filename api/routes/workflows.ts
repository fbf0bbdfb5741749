import { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { getProgressQuery, QdAccount, QdAccounts } from '../../workflows/definitions';
import { ownsSubAccount, requireSession } from '../auth/middleware';
import { HttpError, parseInput } from '../http-error';
import type { ApiDeps } from '../deps';
import type { RouteSpec } from '../openapi';

const params = z.object({ workflowId: z.string().regex(/^[A-Za-z0-9:_|.-]{1,200}$/, 'not a workflow ID') });

/** GET /v1/workflows/:workflowId: the run's status and its steps (the workflow's progress query), for its own wallet or an operator. */
export function createWorkflowRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/workflows/:workflowId', async (req, res) => {
    const session = requireSession(res);
    const { workflowId } = parseInput(params, req.params, 'params');
    const handle = deps.temporal.workflow.getHandle(workflowId);
    try {
      const description = await handle.describe();
      const operator = session.roles.includes('operator');
      // A liquidation batch acts for many accounts (QdAccounts): a trader sees it with its own accounts' steps only.
      const own = new Set(
        (description.typedSearchAttributes.get(QdAccounts) ?? []).filter((a) => ownsSubAccount(session.wallet, a)),
      );
      if (
        !operator &&
        !ownsSubAccount(session.wallet, description.typedSearchAttributes.get(QdAccount)) &&
        own.size === 0
      ) {
        throw new HttpError(403, 'forbidden', 'the workflow acts for another wallet');
      }
      const progress = await handle.query(getProgressQuery);
      const visible =
        operator || own.size === 0
          ? progress
          : { ...progress, steps: progress.steps.filter((s) => own.has(s.step.split(' ').at(-1)!)) };
      res.json({ workflowId, runId: description.runId, temporalStatus: description.status.name, progress: visible });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw new HttpError(404, 'workflow_not_found', `no workflow ${workflowId}`);
      throw err;
    }
  });
  return router;
}

export const workflowRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/workflows/:workflowId',
    summary: "A workflow's status and steps (own workflows; operators see all)",
    auth: 'session',
    params,
    responses: {
      200: 'status and progress',
      400: 'invalid input (the JSON error names each field)',
      401: 'not signed in',
      429: 'rate limited',
      403: "another wallet's workflow",
      404: 'no such workflow',
    },
  },
];
