import { Router } from 'express';
import { z } from 'zod';
import { SYSTEM_ACCOUNT } from '../../domain/workflow-events';
import { startAttributes, workflowIds } from '../../workflows/definitions';
import type { probeWorkflow } from '../../workflows';
import { parseInput } from '../http-error';
import { requireOperator } from '../auth/middleware';
import type { ApiDeps } from '../deps';
import { startOrFind } from '../start-workflow';
import type { RouteSpec } from '../openapi';

const probeBody = z
  .object({
    probeId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 letters, digits, "_" or "-"'),
  })
  .strict();

/**
 * POST /v1/probes starts the platform self-test workflow. The probe ID is the business key: repeating
 * a request returns the workflow it started (200) instead of starting another (202).
 */
export function createProbeRouter(deps: ApiDeps): Router {
  const router = Router();
  // A probe starts a workflow: operators only (a signed-in operator, or the service token).
  router.post('/v1/probes', requireOperator(deps.config.api.operatorToken), async (req, res) => {
    const { probeId } = parseInput(probeBody, req.body, 'body');
    const started = await startOrFind<typeof probeWorkflow>(deps, 'probeWorkflow', {
      workflowId: workflowIds.probe(probeId),
      args: [{ probeId }],
      workflowExecutionTimeout: '5 minutes',
      typedSearchAttributes: startAttributes('probe', SYSTEM_ACCOUNT, null),
    });
    res.status(started.existing ? 200 : 202).json(started);
  });
  return router;
}

export const probeRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/probes',
    summary: 'Start a platform probe workflow (checks Postgres and Redis from a worker)',
    auth: 'operator',
    body: probeBody,
    responses: {
      202: 'workflow started',
      200: 'already started',
      400: 'invalid input',
      401: 'not an operator',
      403: 'not an operator',
      429: 'rate limited',
    },
  },
];
