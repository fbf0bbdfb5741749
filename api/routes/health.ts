import { Router } from 'express';
import type { ApiDeps } from '../deps';
import type { RouteSpec } from '../openapi';
import { readHeartbeats } from '../../platform/heartbeat';
import { recentReconciliations, taskQueuePollers } from '../../temporal/operations';
import { RpcUnavailableError } from '../../solana/rpc-pool';
import { OUTSIDE_STATUS_MAX_AGE_MS, readOutsideStatus } from '../../services/mikey/outside/source';

const CHECK_TIMEOUT_MS = 2_000;
/** The reconciliation schedule runs hourly: a last report older than two runs means it stopped. */
const RECONCILIATION_MAX_AGE_MS = 2 * 3_600_000 + 5 * 60_000;

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

  // The long-lived services by their heartbeats, and the hourly reconciliation by its last report.
  const services = deps.config.api.healthServices;
  for (const service of services.filter((s) => s !== 'reconciliation')) {
    checks[service] = async () => {
      const seen = (await readHeartbeats(deps.redis, deps.config.streamPrefix, Date.now())).get(service);
      if (!seen?.alive)
        throw new Error(
          seen?.lastSeenMsAgo != null
            ? `silent for ${Math.round(seen.lastSeenMsAgo / 1000)} s`
            : 'never heard from (not started?)',
        );
      return `${seen.alive} instance(s) alive`;
    };
  }
  if (services.includes('reconciliation')) {
    checks.reconciliation = async () => {
      const [last] = await recentReconciliations(deps.pool, 1);
      if (!last) return 'no reconciliation yet (the schedule runs it hourly)';
      const ageS = Math.round((Date.now() - last.at.getTime()) / 1000);
      if (ageS * 1000 > RECONCILIATION_MAX_AGE_MS) throw new Error(`last reconciliation ${ageS} s ago`);
      return `last ${ageS} s ago, ${last.differences} difference(s)`;
    };
  }

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
    // Third-party data is optional: reported (live, replay or unavailable), never a reason for a 503.
    const outside = await readOutsideStatus(deps.redis, deps.config.streamPrefix, Date.now(), OUTSIDE_STATUS_MAX_AGE_MS)
      .then((all) => Object.fromEntries(all.map(({ venue, ...s }) => [venue, s])))
      .catch(() => ({}));
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', checks: report, outside });
  });
  return router;
}

async function pollersOf(deps: ApiDeps, taskQueue: string): Promise<number> {
  return (await taskQueuePollers(deps.temporal, deps.config.temporal.namespace, taskQueue, 'workflow')).length;
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
    return { ok: false, latencyMs: elapsed(started), detail: publicDetail(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What a failed check may say in public: never a provider's URL (it may carry an API key) nor a raw
 * error that quotes one; an RPC pool failure is summarised, URLs anywhere else are cut out.
 */
export function publicDetail(err: unknown): string {
  if (err instanceof RpcUnavailableError) return `no Solana provider answered (${err.causes.length} tried)`;
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 300);
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
