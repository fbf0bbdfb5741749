import { hostname } from 'node:os';
import type { Redis } from 'ioredis';

/** How often a long-lived service says it is alive, and how old its last word may be before /health calls it down. */
export const HEARTBEAT_EVERY_MS = 2_000;
export const HEARTBEAT_STALE_MS = 10_000;
/** Fields of instances gone this long are removed by the next reader. */
const FORGET_AFTER_MS = 3_600_000;

const heartbeatsKey = (prefix: string) => `${prefix}:heartbeats`;

/**
 * A service's liveness for /health (ARCHITECTURE §9): every HEARTBEAT_EVERY_MS it writes the time into the
 * hash `<prefix>:heartbeats`, field `<service>|<host>:<pid>` (two risk monitors are two fields). Writes
 * that fail (Redis down) are skipped: the service keeps working, and /health sees it as silent.
 */
export function startHeartbeat(redis: Redis, prefix: string, service: string, now: () => number): () => void {
  const field = `${service}|${hostname()}:${process.pid}`;
  const beat = () => void redis.hset(heartbeatsKey(prefix), field, String(now())).catch(() => undefined);
  beat();
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    void redis.hdel(heartbeatsKey(prefix), field).catch(() => undefined);
  };
}

export interface ServiceLiveness {
  /** Instances whose last heartbeat is at most HEARTBEAT_STALE_MS old. */
  alive: number;
  /** Milliseconds since the freshest heartbeat of any instance (null: never heard). */
  lastSeenMsAgo: number | null;
}

/** Every service's liveness at `nowMs`, by service name; long-gone instances are forgotten. */
export async function readHeartbeats(
  redis: Redis,
  prefix: string,
  nowMs: number,
): Promise<Map<string, ServiceLiveness>> {
  const all = await redis.hgetall(heartbeatsKey(prefix));
  const services = new Map<string, ServiceLiveness>();
  const gone: string[] = [];
  for (const [field, value] of Object.entries(all)) {
    const service = field.split('|')[0]!;
    const age = nowMs - Number(value);
    if (age > FORGET_AFTER_MS) gone.push(field);
    const seen = services.get(service) ?? { alive: 0, lastSeenMsAgo: null };
    if (age <= HEARTBEAT_STALE_MS) seen.alive++;
    seen.lastSeenMsAgo = seen.lastSeenMsAgo === null ? age : Math.min(seen.lastSeenMsAgo, age);
    services.set(service, seen);
  }
  if (gone.length) await redis.hdel(heartbeatsKey(prefix), ...gone);
  return services;
}
