import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../tests/support/localnet';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Postgres, Redis and a Temporal server of the chaos run's own (scripts/lib.sh's functions, on free
 * loopback ports and a data directory in /tmp), so that stopping them hurts nothing else on the machine.
 * The Temporal server is the CLI's dev server: its SQLite file keeps every workflow across a restart.
 */
export interface PrivateStack {
  env: NodeJS.ProcessEnv;
  /** Runs one of lib.sh's service functions (start_postgres, stop_redis, ...). */
  service(fn: ServiceFunction): Promise<void>;
  stop(): Promise<void>;
}

export type ServiceFunction =
  'start_postgres' | 'stop_postgres' | 'start_redis' | 'stop_redis' | 'start_temporal' | 'stop_temporal';

export async function startPrivateStack(): Promise<PrivateStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'qd-chaos-'));
  const [pg, redis, temporal, ui, metrics] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    QD_DATA_DIR: dataDir,
    QD_TEMPORAL_SERVER: 'dev',
    QD_PG_PORT: String(pg),
    QD_REDIS_PORT: String(redis),
    QD_TEMPORAL_PORT: String(temporal),
    QD_TEMPORAL_UI_PORT: String(ui),
    QD_TEMPORAL_METRICS_PORT: String(metrics),
    QD_PG_URL: `postgres://quantdesk@127.0.0.1:${pg}/quantdesk`,
    QD_PG_ADMIN_URL: `postgres://postgres@127.0.0.1:${pg}/postgres`,
    QD_REDIS_URL: `redis://127.0.0.1:${redis}`,
    QD_TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
    QD_TEMPORAL_HISTORY_LIMIT: '',
    QD_TASK_QUEUE: 'chaos',
    QD_STREAM_PREFIX: 'chaos',
    QD_HEALTH_SERVICES: '',
  };
  const service = (fn: ServiceFunction) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('bash', ['-c', `source scripts/lib.sh && ${fn}`], {
        cwd: root,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4_000)));
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${fn} exited ${code}: ${err}`))));
    });
  for (const fn of ['start_postgres', 'start_redis', 'start_temporal'] as const) await service(fn);
  await new Promise<void>((resolve, reject) => {
    const setup = spawn(`${root}/node_modules/.bin/tsx`, ['scripts/setup.ts'], { cwd: root, env, stdio: 'ignore' });
    setup.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`setup exited ${code}`))));
  });
  return {
    env,
    service,
    async stop() {
      for (const fn of ['stop_temporal', 'stop_redis', 'stop_postgres'] as const)
        await service(fn).catch(() => undefined);
    },
  };
}
