import express from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from './deps';
import { errorHandler, notFound } from './http-error';
import { createHealthRouter } from './routes/health';
import { createProbeRouter } from './routes/probes';
import { createDepositRouter } from './routes/deposits';
import { createWithdrawalRouter } from './routes/withdrawals';
import { createOrderRouter } from './routes/orders';
import { createAdminRouter } from './routes/admin';
import { createWorkflowRouter } from './routes/workflows';
import { createAuthRouter } from './routes/auth';
import { SessionStore } from './auth/sessions';
import { readSession } from './auth/middleware';
import { rateLimit } from './rate-limit';
import { createApiMetrics, metricsEndpoint, metricsRoutes, registerPlatformMetrics } from './metrics';
import { createOpsRouter, opsRoutes } from './routes/ops';
import { openApiDocument, type RouteSpec } from './openapi';
import { createMarketRouter, marketRoutes } from './routes/markets';
import { accountRoutes, createAccountRouter } from './routes/accounts';
import { healthRoutes } from './routes/health';
import { probeRoutes } from './routes/probes';
import { depositRoutes } from './routes/deposits';
import { withdrawalRoutes } from './routes/withdrawals';
import { orderRoutes } from './routes/orders';
import { adminRoutes } from './routes/admin';
import { workflowRoutes } from './routes/workflows';
import { authRoutes } from './routes/auth';
import { createFundsRouter, fundsRoutes } from './routes/funds';
import { auditRoutes, createAuditRouter } from './routes/audit';
import { alertRoutes, createAlertRouter } from './routes/alerts';

/** Every route the API serves, as documented in /v1/openapi.json (a test checks none is missing). */
export const API_ROUTES: readonly RouteSpec[] = [
  ...healthRoutes,
  ...metricsRoutes,
  {
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This document',
    auth: 'public',
    responses: { 200: 'OpenAPI 3.0' },
  },
  ...authRoutes,
  ...marketRoutes,
  ...accountRoutes,
  ...alertRoutes,
  ...fundsRoutes,
  ...depositRoutes,
  ...withdrawalRoutes,
  ...orderRoutes,
  ...workflowRoutes,
  ...probeRoutes,
  ...opsRoutes,
  ...adminRoutes,
  ...auditRoutes,
];

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/**
 * Every Temporal call a request makes ends by one deadline (gRPC, through the client's call context), so
 * with Temporal down a trader gets the 503 and its retry hint within seconds, not after the client's own
 * retries (about 20 s). An auditor's replay reads whole histories and gets fifteen times as long.
 */
function temporalDeadline(deps: ApiDeps): express.RequestHandler {
  const { temporalDeadlineMs } = deps.config.api;
  return (req, _res, next) => {
    const ms = req.path.startsWith('/v1/audit') ? 15 * temporalDeadlineMs : temporalDeadlineMs;
    void deps.temporal.connection.withDeadline(Date.now() + ms, async () => next());
  };
}

export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind a trusted proxy (the compose web proxy, a load balancer), req.ip is the client's own address.
  app.set('trust proxy', deps.config.api.trustedProxies);
  app.use(
    pinoHttp({
      logger: deps.logger,
      // Honour a caller's well-formed X-Request-Id so one ID follows a request across services.
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  const metrics = deps.metrics ?? createApiMetrics();
  registerPlatformMetrics(metrics.registry, deps);
  app.use(metrics.observe);
  app.get('/metrics', metricsEndpoint(metrics.registry, deps.config.api.operatorToken));
  app.use(helmet());
  app.use(corsFor(deps.config.api.corsOrigins));
  app.use(express.json({ limit: '64kb', strict: true }));
  app.use(temporalDeadline(deps));
  app.use(createHealthRouter(deps));
  const sessions = new SessionStore(deps.redis, deps.config.streamPrefix);
  app.use(readSession(sessions));
  app.use(rateLimit(deps.redis, deps.config.streamPrefix, deps.config.api.rateLimitPerMinute));
  app.use(createAuthRouter(deps, sessions));
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(
      openApiDocument(API_ROUTES, {
        title: 'QuantDesk API',
        version: '1',
        description: 'Perpetual futures on Solana: every write runs a durable Temporal workflow.',
      }),
    );
  });
  app.use(createMarketRouter(deps));
  app.use(createAccountRouter(deps));
  app.use(createAlertRouter(deps));
  app.use(createFundsRouter(deps));
  app.use(createAuditRouter(deps));
  app.use(createProbeRouter(deps));
  app.use(createDepositRouter(deps));
  app.use(createWithdrawalRouter(deps));
  app.use(createOrderRouter(deps));
  // Before the admin router: its operator check would refuse Alertmanager's webhook token.
  app.use(createOpsRouter(deps));
  app.use(createAdminRouter(deps));
  app.use(createWorkflowRouter(deps));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}

function corsFor(origins: string[]): express.RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Request-Id');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
    }
    if (req.method === 'OPTIONS') {
      res.sendStatus(origin && allowed.has(origin) ? 204 : 403);
      return;
    }
    next();
  };
}
