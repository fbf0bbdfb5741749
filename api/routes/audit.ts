import { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import type { ReconciliationReport } from '../../activities/reconciliation';
import { auditMarkdown, reconciliationMarkdown } from '../../temporal/audit-report';
import { auditAccount, recentReconciliations, replayWorkflow } from '../../temporal/operations';
import { requireRole } from '../auth/middleware';
import { HttpError, parseInput } from '../http-error';
import type { ApiDeps } from '../deps';
import type { RouteSpec } from '../openapi';

const reportQuery = z
  .object({
    account: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/, 'a sub-account address (or system / market-N)'),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    format: z.enum(['json', 'md']).default('json'),
  })
  .strict();
const idParams = z.object({ workflowId: z.string().regex(/^[A-Za-z0-9:_|.-]{1,200}$/, 'a workflow ID') }).strict();
const reconciliationsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(24) }).strict();
const reportParams = z
  .object({ reportId: z.string().regex(/^[A-Za-z0-9:_|.-]{1,200}$/, 'a reconciliation report ID') })
  .strict();
const reportFormat = z.object({ format: z.enum(['json', 'md']).default('json') }).strict();

/**
 * Compliance auditors (role auditor): the account timeline with every workflow replayed against the
 * current code, one workflow's replay, and the reconciliations of the books with the chain, as
 * `npm run audit` prints them.
 */
export function createAuditRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/audit/report', async (req, res) => {
    requireRole(res, 'auditor');
    const q = parseInput(reportQuery, req.query, 'query');
    if (Date.parse(q.from) >= Date.parse(q.to))
      throw new HttpError(400, 'invalid_request', '`from` must be before `to`');
    const { audits, verdicts, title } = await auditAccount(deps.temporal, q);
    if (q.format === 'md') {
      res.type('text/markdown').send(auditMarkdown(title, audits, verdicts));
      return;
    }
    res.json({
      title,
      workflows: audits.map((a) => ({
        ...a,
        deterministic: !verdicts.get(a.workflowId),
        replayError: verdicts.get(a.workflowId) ?? null,
      })),
    });
  });
  router.get('/v1/audit/workflows/:workflowId/replay', async (req, res) => {
    requireRole(res, 'auditor');
    const { workflowId } = parseInput(idParams, req.params, 'params');
    const { audit, error } = await replayWorkflow(deps.temporal, workflowId).catch((err: unknown) => {
      throw err instanceof WorkflowNotFoundError
        ? new HttpError(404, 'workflow_not_found', `no workflow ${workflowId}`)
        : err;
    });
    res.json({ ...audit, deterministic: !error, replayError: error });
  });
  router.get('/v1/audit/reconciliations', async (req, res) => {
    requireRole(res, 'auditor');
    const { limit } = parseInput(reconciliationsQuery, req.query, 'query');
    const reports = await recentReconciliations(deps.pool, limit);
    res.json({ reports: reports.map((r) => ({ ...r, at: r.at.toISOString() })) });
  });
  router.get('/v1/audit/reconciliations/:reportId', async (req, res) => {
    requireRole(res, 'auditor');
    const { reportId } = parseInput(reportParams, req.params, 'params');
    const { format } = parseInput(reportFormat, req.query, 'query');
    const { rows } = await deps.pool.query<{ report: ReconciliationReport }>(
      'SELECT report FROM reconciliation_reports WHERE id = $1',
      [reportId],
    );
    if (!rows[0]) throw new HttpError(404, 'report_not_found', `no reconciliation report ${reportId}`);
    if (format === 'md') res.type('text/markdown').send(reconciliationMarkdown(rows[0].report));
    else res.json(rows[0].report);
  });
  return router;
}

const E = { 400: 'invalid input', 401: 'not signed in', 403: 'not an auditor', 429: 'rate limited' } as const;
export const auditRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/audit/report',
    summary:
      "An account's workflows in a time range, each replayed against the current code: steps, inputs, outputs, chain signatures, rows",
    auth: 'session',
    query: reportQuery,
    responses: { 200: 'the report (JSON or markdown)', ...E },
  },
  {
    method: 'get',
    path: '/v1/audit/workflows/:workflowId/replay',
    summary: "One workflow's history replayed against the current code",
    auth: 'session',
    params: idParams,
    responses: { 200: 'timeline and determinism verdict', ...E, 404: 'no such workflow' },
  },
  {
    method: 'get',
    path: '/v1/audit/reconciliations',
    summary: 'The latest reconciliations of the books with the chain (hourly, and `npm run audit -- reconcile`)',
    auth: 'session',
    query: reconciliationsQuery,
    responses: { 200: 'reports, newest first', ...E },
  },
  {
    method: 'get',
    path: '/v1/audit/reconciliations/:reportId',
    summary: 'One reconciliation report: totals on chain and in the books, and every difference',
    auth: 'session',
    params: reportParams,
    query: reportFormat,
    responses: { 200: 'the report (JSON or markdown)', ...E, 404: 'no such report' },
  },
];
