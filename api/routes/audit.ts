import { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { auditMarkdown } from '../../temporal/audit-report';
import { auditAccount, replayWorkflow } from '../../temporal/operations';
import { requireRole } from '../auth/middleware';
import { HttpError, parseInput } from '../http-error';
import type { ApiDeps } from '../deps';
import type { RouteSpec } from '../openapi';

const reportQuery = z.object({
  account: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/, 'a sub-account address (or system / market-N)'),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  format: z.enum(['json', 'md']).default('json'),
}).strict();
const idParams = z.object({ workflowId: z.string().regex(/^[A-Za-z0-9:_|.-]{1,200}$/, 'a workflow ID') }).strict();

/**
 * Compliance auditors (role auditor): the account timeline with every workflow replayed against the
 * current code, and one workflow's replay, as `npm run audit` prints them.
 */
export function createAuditRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/audit/report', async (req, res) => {
    requireRole(res, 'auditor');
    const q = parseInput(reportQuery, req.query, 'query');
    if (Date.parse(q.from) >= Date.parse(q.to)) throw new HttpError(400, 'invalid_request', '`from` must be before `to`');
    const { audits, verdicts, title } = await auditAccount(deps.temporal, q);
    if (q.format === 'md') {
      res.type('text/markdown').send(auditMarkdown(title, audits, verdicts));
      return;
    }
    res.json({ title, workflows: audits.map((a) => ({ ...a, deterministic: !verdicts.get(a.workflowId), replayError: verdicts.get(a.workflowId) ?? null })) });
  });
  router.get('/v1/audit/workflows/:workflowId/replay', async (req, res) => {
    requireRole(res, 'auditor');
    const { workflowId } = parseInput(idParams, req.params, 'params');
    const { audit, error } = await replayWorkflow(deps.temporal, workflowId).catch((err: unknown) => {
      throw err instanceof WorkflowNotFoundError ? new HttpError(404, 'workflow_not_found', `no workflow ${workflowId}`) : err;
    });
    res.json({ ...audit, deterministic: !error, replayError: error });
  });
  return router;
}

const E = { 400: 'invalid input', 401: 'not signed in', 403: 'not an auditor', 429: 'rate limited' } as const;
export const auditRoutes: RouteSpec[] = [
  { method: 'get', path: '/v1/audit/report', summary: 'An account\'s workflows in a time range, each replayed against the current code: steps, inputs, outputs, chain signatures, rows', auth: 'session', query: reportQuery, responses: { 200: 'the report (JSON or markdown)', ...E } },
  { method: 'get', path: '/v1/audit/workflows/:workflowId/replay', summary: 'One workflow\'s history replayed against the current code', auth: 'session', params: idParams, responses: { 200: 'timeline and determinism verdict', ...E, 404: 'no such workflow' } },
];
