import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { createApp } from '../../api/app';
import { StreamRelay } from '../../api/realtime';
import { loadConfig, type Config } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { createPostgres, runMigrations, type Database } from '../../platform/postgres';
import { createRedis } from '../../platform/redis';
import { createTemporalClient } from '../../temporal/client';
import { createWorker, WORKFLOWS_PATH } from '../../temporal/worker-factory';
import { RpcPool } from '../../solana/rpc-pool';
import type { Keypair } from '@solana/web3.js';

export interface Harness {
  id: string;
  config: Config;
  /** The environment a worker process needs to serve this harness. */
  env: NodeJS.ProcessEnv;
  apiUrl: string;
  pool: pg.Pool;
  db: Database;
  redis: Redis;
  temporal: Client;
  close(): Promise<void>;
}

// The SDK logs every worker state change at INFO; tests want warnings only (QD_TEST_LOG_LEVEL overrides).
Runtime.install({ logger: new DefaultLogger(process.env.QD_TEST_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** One workflow bundle per test process: bundling takes seconds, the code does not change. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/**
 * A private slice of the real services for one test file: its own database (migrated), Temporal task
 * queue and Redis stream prefix, a worker polling that queue, and the API on an ephemeral port.
 */
/** The operators' service token every harness's API accepts (unless a test sets its own). */
export const HARNESS_OPERATOR_TOKEN = 'harness-operator-token-0123456789';
/** The token Alertmanager presents to every harness's alert webhook. */
export const HARNESS_ALERT_WEBHOOK_TOKEN = 'harness-alert-webhook-token-0123456789';
export const operatorHeaders = (token = HARNESS_OPERATOR_TOKEN) => ({
  'content-type': 'application/json',
  authorization: `Bearer ${token}`,
});

export async function startHarness(
  overrides: NodeJS.ProcessEnv = {},
  options: { worker?: boolean; keeper?: Keypair } = {},
): Promise<Harness> {
  const id = randomBytes(4).toString('hex');
  const base = loadConfig();
  const database = `qd_it_${id}`;
  await adminQuery(base.postgres.url, `CREATE DATABASE ${database}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    QD_PG_URL: withDatabase(base.postgres.url, database),
    QD_TASK_QUEUE: `it-${id}`,
    QD_STREAM_PREFIX: `qd-it-${id}`,
    QD_OPERATOR_TOKEN: HARNESS_OPERATOR_TOKEN,
    QD_ALERT_WEBHOOK_TOKEN: HARNESS_ALERT_WEBHOOK_TOKEN,
    // No risk monitor, price feed or reconciliation schedule serves a harness: /health lists its dependencies.
    QD_HEALTH_SERVICES: '',
    // The processes a test starts serve no metrics unless it asks (test files run two at a time, and two
    // workers on the default ports would collide: the SDK's exporter failing to bind is fatal).
    QD_WORKER_METRICS_PORT: '0',
    QD_WORKER_SDK_METRICS_PORT: '0',
    QD_RISK_MONITOR_METRICS_PORT: '0',
    QD_PRICE_FEED_METRICS_PORT: '0',
    QD_MIKEY_METRICS_PORT: '0',
    ...overrides,
  };
  const config = loadConfig(env);
  const { pool, db } = createPostgres(config.postgres.url, { applicationName: `qd-it-${id}` });
  await runMigrations(db);
  const redis = createRedis(config.redis.url, `qd-it-${id}`);
  const temporal = await createTemporalClient(config.temporal);
  // Without an in-process worker, a test runs its own (e.g. a child process it can kill).
  const worker =
    options.worker === false
      ? null
      : await createWorker(
          { ...config.temporal, workflowBundle: await workflowBundle() },
          {
            pool,
            db,
            redis,
            streamPrefix: config.streamPrefix,
            rpcPool: new RpcPool(config.solana.rpcUrls, { now: () => Date.now() }),
            keeper: options.keeper ?? null,
            temporal,
          },
        );
  const workerRun = worker?.run() ?? Promise.resolve();
  const logger = createLogger({ level: process.env.QD_TEST_LOG_LEVEL ?? 'silent', name: `api-it-${id}` });
  // The API talks to Solana only in tests that give it a localnet (the default URLs are npm start's).
  const rpcPool = overrides.QD_SOLANA_RPC_URLS
    ? new RpcPool(config.solana.rpcUrls, { now: () => Date.now() })
    : undefined;
  const server = createServer(createApp({ config, logger, pool, redis, temporal, rpcPool }));
  const realtime = await StreamRelay.serve(server, {
    redis,
    streamPrefix: config.streamPrefix,
    corsOrigins: config.api.corsOrigins,
    instance: `it-${id}`,
    logger,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    id,
    config,
    env,
    apiUrl,
    pool,
    db,
    redis,
    temporal,
    async close() {
      await realtime.close();
      await closeServer(server);
      // Workflows still waiting (resting orders, say) would outlive the test: end them with it.
      const queues = [config.temporal.taskQueue, config.temporal.liquidationTaskQueue]
        .map((q) => `TaskQueue = "${q}"`)
        .join(' OR ');
      for await (const wf of temporal.workflow.list({ query: `(${queues}) AND ExecutionStatus = "Running"` })) {
        await temporal.workflow
          .getHandle(wf.workflowId, wf.runId)
          .terminate('test finished')
          .catch(() => undefined);
      }
      if (worker) await stopWorker(worker, workerRun);
      await deleteKeys(redis, `${config.streamPrefix}:*`);
      await Promise.all([pool.end(), redis.quit(), temporal.connection.close()]);
      // QD_KEEP_TEST_DATABASE=1 keeps the run's database for inspection (its name is logged).
      if (process.env.QD_KEEP_TEST_DATABASE === '1') process.stderr.write(`kept database ${database}\n`);
      else await dropDatabase(base.postgres.url, database);
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Drops a test database with its connections. FORCE cannot end an autovacuum worker that happens to be in
 * it (its backend has no role the test's user belongs to: "must be a member of the role whose process is
 * being terminated"); such a worker finishes in moments, so that refusal is retried.
 */
async function dropDatabase(url: string, database: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await adminQuery(url, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    } catch (err) {
      if (attempt >= 20 || !String(err).includes('member of the role whose process is being terminated')) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function stopWorker(worker: Worker, run: Promise<void>): Promise<void> {
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await run;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
