import { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { getProgressQuery } from '../../workflows/definitions';
import { HttpError, parseInput } from '../http-error';
import type { ApiDeps } from '../deps';

const params = z.object({ workflowId: z.string().regex(/^[A-Za-z0-9:_|.-]{1,200}$/, 'not a workflow ID') });

/** GET /v1/workflows/:workflowId: the run's status and its steps (the workflow's progress query). */
export function createWorkflowRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/workflows/:workflowId', async (req, res) => {
    const { workflowId } = parseInput(params, req.params, 'params');
    const handle = deps.temporal.workflow.getHandle(workflowId);
    try {
      const [description, progress] = await Promise.all([handle.describe(), handle.query(getProgressQuery)]);
      res.json({ workflowId, runId: description.runId, temporalStatus: description.status.name, progress });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'workflow_not_found', `no workflow ${workflowId}`);
      throw err;
    }
  });
  return router;
}
