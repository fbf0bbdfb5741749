import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { recentReconciliations, taskQueuePollers } from '../temporal/operations';
import { createRegistry, sharedRefresh } from '../platform/metrics';
import { readHeartbeats } from '../platform/heartbeat';
import { requireOperator } from './auth/middleware';
import type { ApiDeps } from './deps';
import type { RouteSpec } from './openapi';

/**
 * The API's Prometheus metrics (issue 13's first slice): requests by route template, method and status (429s
 * are the rate limiter's refusals), latency by route, and Node's own process metrics. One registry per app,
 * so several API instances in one process (the tests) do not share counters.
 */
export function createApiMetrics() {
  const registry = createRegistry('api');
  const requests = new Counter({
    name: 'qd_api_requests_total',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'qd_api_request_duration_seconds',
    help: 'HTTP request latency by route template and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  /** Counts every request once it is answered, labelled by its route template (bounded: no IDs in labels). */
  const observe: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requests.inc({ route, method: req.method, status: String(res.statusCode) });
      latency.observe({ route, method: req.method }, seconds);
    });
    next();
  };
  return { registry, observe };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** A poller the server last saw longer ago than this is gone (idle pollers re-poll at least every minute). */
const POLLER_SEEN_WITHIN_MS = 90_000;

/**
 * What the API sees of the platform, at each scrape: live pollers on each task queue (the alert "no worker
 * polls"), the services' heartbeats, and the last reconciliation (its time and differences). Every API
 * instance exports them alike; rules take the max or min over instances.
 */
export function registerPlatformMetrics(registry: Registry, deps: ApiDeps): void {
  const { taskQueue, liquidationTaskQueue, namespace } = deps.config.temporal;
  new Gauge({
    name: 'qd_temporal_task_queue_pollers',
    help: 'Workers polling the task queue (seen by the server within the last 90 s), by queue and task type',
    labelNames: ['queue', 'type'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const now = Date.now();
      await Promise.all(
        [taskQueue, liquidationTaskQueue].flatMap((queue) =>
          (['workflow', 'activity'] as const).map(async (type) => {
            const pollers = await taskQueuePollers(deps.temporal, namespace, queue, type).catch(() => null);
            if (!pollers) return; // Temporal unreachable: no sample (the server's own alert covers it)
            const live = pollers.filter(
              (p) => now - Number(p.lastAccessTime?.seconds ?? 0) * 1000 <= POLLER_SEEN_WITHIN_MS,
            );
            this.set({ queue, type }, live.length);
          }),
        ),
      );
    },
  });
  const services = sharedRefresh(async () => {
    alive.reset();
    age.reset();
    const seen = await readHeartbeats(deps.redis, deps.config.streamPrefix, Date.now()).catch(() => null);
    for (const [service, s] of seen ?? []) {
      alive.set({ service }, s.alive);
      if (s.lastSeenMsAgo !== null) age.set({ service }, s.lastSeenMsAgo / 1000);
    }
  });
  const alive = new Gauge({
    name: 'qd_service_instances_alive',
    help: 'Instances of each long-lived service whose heartbeat is fresh (risk-monitor, price-feed)',
    labelNames: ['service'] as const,
    registers: [registry],
    collect: services,
  });
  const age = new Gauge({
    name: 'qd_service_heartbeat_age_seconds',
    help: "Seconds since each service's freshest heartbeat",
    labelNames: ['service'] as const,
    registers: [registry],
    collect: services,
  });
  const reconciliation = sharedRefresh(async () => {
    const [last] = await recentReconciliations(deps.pool, 1).catch(() => []);
    lastRun.reset();
    differences.reset();
    if (!last) return;
    lastRun.set(last.at.getTime() / 1000);
    differences.set(last.differences);
  });
  const lastRun = new Gauge({
    name: 'qd_reconciliation_last_run_timestamp_seconds',
    help: 'When the last reconciliation of the books with the chain ran (Unix seconds)',
    registers: [registry],
    collect: reconciliation,
  });
  const differences = new Gauge({
    name: 'qd_reconciliation_differences',
    help: 'Differences the last reconciliation found (0: books and chain agree)',
    registers: [registry],
    collect: reconciliation,
  });
}

/**
 * GET /metrics for Prometheus: from the machine itself (a scraper on loopback, `req.ip` as the trusted proxies
 * say), or, from anywhere else, as any operator route is (the service token or an operator's session).
 */
export function metricsEndpoint(registry: Registry, operatorToken: string | null): RequestHandler {
  const operator = requireOperator(operatorToken);
  const serve: RequestHandler = (_req, res, next) => {
    registry.metrics().then((text) => res.type(registry.contentType).send(text), next);
  };
  return (req, res, next) => {
    if (LOOPBACK.has(req.ip ?? '')) return serve(req, res, next);
    operator(req, res, (err?: unknown) => (err ? next(err) : serve(req, res, next)));
  };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export const metricsRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (from loopback, or with the operator token from elsewhere)',
    auth: 'public',
    responses: { 200: 'metrics in the Prometheus text format', 401: 'neither loopback nor the operator token' },
  },
];
