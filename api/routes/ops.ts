import { Router, type RequestHandler } from 'express';
import { and, desc, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { z } from 'zod';
import { opsAlerts } from '../../drizzle/schema';
import { alertStreamKey } from '../../domain/workflow-events';
import { bearerIs, requireOperator, sessionOf } from '../auth/middleware';
import { HttpError, parseInput } from '../http-error';
import type { ApiDeps } from '../deps';
import type { RouteSpec } from '../openapi';

/** Alerts kept on the alert stream (the table keeps them all). */
const ALERT_STREAM_MAX_LENGTH = 10_000;
/** The dashboard's widest view and finest step: a query_range answer stays at most ~11,000 points a series. */
const MAX_RANGE_SECONDS = 7 * 86_400;
const MAX_POINTS = 11_000;

const labelSet = z.record(z.string().max(200), z.string().max(2_000));
/** Alertmanager's webhook payload (version 4), the fields we keep. */
const webhookBody = z.object({
  version: z.literal('4'),
  status: z.enum(['firing', 'resolved']),
  alerts: z
    .array(
      z.object({
        status: z.enum(['firing', 'resolved']),
        labels: labelSet.refine((l) => typeof l.alertname === 'string', 'labels.alertname is required'),
        annotations: labelSet.default({}),
        startsAt: z.iso.datetime({ offset: true }),
        endsAt: z.iso.datetime({ offset: true }).optional(),
        fingerprint: z.string().regex(/^[0-9a-f]{8,64}$/, 'a hex fingerprint'),
      }),
    )
    .max(1_000),
});
const alertsQuery = z
  .object({
    status: z.enum(['firing', 'resolved', 'all']).default('all'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
const ackParams = z.object({ fingerprint: z.string().regex(/^[0-9a-f]{8,64}$/, 'a hex fingerprint') }).strict();
const ackBody = z.object({ startsAt: z.iso.datetime({ offset: true }) }).strict();
const rangeQuery = z
  .object({
    query: z.string().min(1).max(2_000),
    start: z.coerce.number().finite(),
    end: z.coerce.number().finite(),
    step: z.coerce.number().min(1).max(3_600),
  })
  .strict()
  .refine((q) => q.end > q.start && q.end - q.start <= MAX_RANGE_SECONDS, {
    message: `end must follow start, at most ${MAX_RANGE_SECONDS} s later`,
  })
  .refine((q) => (q.end - q.start) / q.step <= MAX_POINTS, { message: `at most ${MAX_POINTS} points per series` });

type AlertRow = typeof opsAlerts.$inferSelect;

/** An alert as the API answers it and pushes it to operators' sockets. */
function alertView(row: AlertRow) {
  return {
    kind: 'ops-alert' as const,
    fingerprint: row.fingerprint,
    name: row.name,
    severity: row.severity,
    status: row.status,
    labels: row.labels as Record<string, string>,
    annotations: row.annotations as Record<string, string>,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt?.toISOString() ?? null,
    acknowledgedBy: row.acknowledgedBy,
    acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Only Alertmanager's bearer token (QD_ALERT_WEBHOOK_TOKEN) may post alerts. */
function requireWebhookToken(token: string | null): RequestHandler {
  const expected = token ? Buffer.from(token) : null;
  return (req, _res, next) => {
    if (!expected) return next(new HttpError(503, 'webhook_disabled', 'QD_ALERT_WEBHOOK_TOKEN is not set'));
    if (!bearerIs(req, expected))
      return next(new HttpError(401, 'unauthorized', 'the alert webhook token is required'));
    next();
  };
}

/**
 * Operations (ARCHITECTURE §9): Alertmanager's webhook stores each alert in ops_alerts and pushes it to
 * operators' sockets (through the alert stream, so every API instance relays it); operators list and
 * acknowledge alerts, and the dashboard reads Prometheus' query_range through here (operator only: the
 * browser never reaches Prometheus itself).
 */
export function createOpsRouter(deps: ApiDeps): Router {
  const router = Router();
  const db = drizzle(deps.pool);
  const operator = requireOperator(deps.config.api.operatorToken);
  const push = (row: AlertRow) =>
    deps.redis.xadd(
      alertStreamKey(deps.config.streamPrefix),
      'MAXLEN',
      '~',
      String(ALERT_STREAM_MAX_LENGTH),
      '*',
      'alert',
      JSON.stringify(alertView(row)),
    );

  router.post('/v1/admin/alerts/webhook', requireWebhookToken(deps.config.api.alertWebhookToken), async (req, res) => {
    const body = parseInput(webhookBody, req.body, 'body');
    const now = new Date();
    let stored = 0;
    for (const a of body.alerts) {
      const resolved = a.status === 'resolved';
      // Alertmanager sends the zero time for "no end yet".
      const endsAt = resolved && a.endsAt && !a.endsAt.startsWith('0001-') ? new Date(a.endsAt) : null;
      const [row] = await db
        .insert(opsAlerts)
        .values({
          fingerprint: a.fingerprint,
          startsAt: new Date(a.startsAt),
          name: a.labels.alertname!,
          severity: a.labels.severity ?? 'none',
          status: a.status,
          labels: a.labels,
          annotations: a.annotations,
          endsAt,
          updatedAt: now,
        })
        .onConflictDoUpdate({
          target: [opsAlerts.fingerprint, opsAlerts.startsAt],
          set: { status: a.status, annotations: a.annotations, endsAt, updatedAt: now },
          // A redelivered "firing" never reopens an alert already resolved.
          setWhere: sql`NOT (${opsAlerts.status} = 'resolved' AND excluded.status = 'firing')`,
        })
        .returning();
      if (row) {
        stored++;
        await push(row);
      }
    }
    res.json({ stored });
  });

  router.get('/v1/admin/alerts', operator, async (req, res) => {
    const q = parseInput(alertsQuery, req.query, 'query');
    const rows = await db
      .select()
      .from(opsAlerts)
      .where(q.status === 'all' ? undefined : eq(opsAlerts.status, q.status))
      .orderBy(desc(opsAlerts.updatedAt))
      .limit(q.limit);
    res.json({ alerts: rows.map(alertView) });
  });

  router.post('/v1/admin/alerts/:fingerprint/ack', operator, async (req, res) => {
    const { fingerprint } = parseInput(ackParams, req.params, 'params');
    const { startsAt } = parseInput(ackBody, req.body, 'body');
    const by = sessionOf(res)?.wallet ?? 'operator-token';
    const now = new Date();
    const [row] = await db
      .update(opsAlerts)
      .set({ acknowledgedBy: by, acknowledgedAt: now, updatedAt: now })
      .where(and(eq(opsAlerts.fingerprint, fingerprint), eq(opsAlerts.startsAt, new Date(startsAt))))
      .returning();
    if (!row) throw new HttpError(404, 'alert_not_found', `no alert ${fingerprint} starting at ${startsAt}`);
    await push(row);
    res.json(alertView(row));
  });

  router.get('/v1/admin/metrics/query_range', operator, async (req, res) => {
    const q = parseInput(rangeQuery, req.query, 'query');
    const url = new URL('/api/v1/query_range', deps.config.metrics.prometheusUrl);
    for (const [k, v] of Object.entries(q)) url.searchParams.set(k, String(v));
    let answer: Response;
    try {
      answer = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    } catch {
      throw new HttpError(503, 'prometheus_unavailable', 'Prometheus did not answer (is monitoring switched off?)');
    }
    const body = (await answer.json().catch(() => null)) as { status?: string; error?: string } | null;
    if (!body) throw new HttpError(502, 'prometheus_error', `Prometheus answered ${answer.status} without JSON`);
    if (body.status !== 'success')
      throw new HttpError(400, 'invalid_query', body.error ?? 'Prometheus refused the query');
    res.json(body);
  });
  return router;
}

export const opsRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/admin/alerts/webhook',
    summary: "Alertmanager's webhook: stores the alerts and pushes them to operators (its own bearer token)",
    auth: 'alertmanager',
    body: webhookBody,
    responses: { 200: 'stored', 400: 'not an Alertmanager v4 payload', 401: 'wrong token', 503: 'no token set' },
  },
  {
    method: 'get',
    path: '/v1/admin/alerts',
    summary: 'Alerts, newest first, with their acknowledgement',
    auth: 'operator',
    query: alertsQuery,
    responses: { 200: 'alerts' },
  },
  {
    method: 'post',
    path: '/v1/admin/alerts/:fingerprint/ack',
    summary: 'Acknowledge an alert (by its fingerprint and start)',
    auth: 'operator',
    params: ackParams,
    body: ackBody,
    responses: { 200: 'acknowledged', 404: 'no such alert' },
  },
  {
    method: 'get',
    path: '/v1/admin/metrics/query_range',
    summary: "Prometheus' query_range, for the operators' dashboard",
    auth: 'operator',
    query: rangeQuery,
    responses: { 200: "Prometheus' answer", 400: 'invalid query', 503: 'Prometheus unreachable' },
  },
];
