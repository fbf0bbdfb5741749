import { Router } from 'express';
import { enums } from '../../temporal/proto';
import type { ApiDeps } from '../deps';
import type { RouteSpec } from '../openapi';

const CHECK_TIMEOUT_MS = 2_000;

export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  detail?: string;
}

/** GET /health: every dependency, each with its latency; 200 when all are up, 503 otherwise. */
export function createHealthRouter(deps: ApiDeps): Router {
  const checks: Record<string, () => Promise<string | undefined>> = {
    postgres: async () => {
      await deps.pool.query('SELECT 1');
      return undefined;
    },
    redis: async () => {
      await deps.redis.ping();
      return undefined;
    },
    temporal: async () => {
      const info = await deps.temporal.workflowService.getSystemInfo({});
      return `server ${info.serverVersion}`;
    },
    worker: async () => {
      const { taskQueue, liquidationTaskQueue } = deps.config.temporal;
      const [main, liquidations] = await Promise.all(
        [taskQueue, liquidationTaskQueue].map((name) => pollersOf(deps, name)),
      );
      if (!main) throw new Error(`no worker polls task queue ${taskQueue}`);
      // Liquidations run on their own queue (the risk monitor's worker and the main worker's second one).
      return `${main} poller(s) on ${taskQueue}, ${liquidations} on ${liquidationTaskQueue}`;
    },
  };

  const pool = deps.rpcPool;
  if (pool) {
    checks.solana = async () => {
      const slot = await pool.call('read the slot', (c) => c.getSlot());
      const up = pool.metrics().filter((m) => m.circuit !== 'open').length;
      return `slot ${slot}, ${up}/${pool.metrics().length} providers available`;
    };
  }

  const router = Router();
  router.get('/health', async (_req, res) => {
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((name) => runCheck(checks[name]!)));
    const report = Object.fromEntries(names.map((name, i) => [name, results[i]]));
    const ok = results.every((r) => r.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', checks: report });
  });
  return router;
}

async function pollersOf(deps: ApiDeps, taskQueue: string): Promise<number> {
  const { pollers } = await deps.temporal.workflowService.describeTaskQueue({
    namespace: deps.config.temporal.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: enums.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return pollers?.length ?? 0;
}

async function runCheck(check: () => Promise<string | undefined>): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    const detail = await Promise.race([check(), timeout]);
    return { ok: true, latencyMs: elapsed(started), ...(detail ? { detail } : {}) };
  } catch (err) {
    return { ok: false, latencyMs: elapsed(started), detail: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;

export const healthRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/health',
    summary: "Every dependency's state",
    auth: 'public',
    responses: { 200: 'all up', 503: 'degraded (names what is down)' },
  },
];
