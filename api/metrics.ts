import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { requireOperator } from './auth/middleware';
import type { RouteSpec } from './openapi';

/**
 * The API's Prometheus metrics (issue 13's first slice): requests by route template, method and status (429s
 * are the rate limiter's refusals), latency by route, and Node's own process metrics. One registry per app,
 * so several API instances in one process (the tests) do not share counters.
 */
export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qd_api_' });
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
