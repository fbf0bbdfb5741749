import type { Redis } from 'ioredis';
import type pg from 'pg';

export function createSystemActivities(pool: pg.Pool, redis: Redis) {
  return {
    /** Touches Postgres and Redis from the worker's side; throws (and so retries) when one is down. */
    async checkDependencies(): Promise<Record<string, 'ok'>> {
      await pool.query('SELECT 1');
      const pong = await redis.ping();
      if (pong !== 'PONG') throw new Error(`redis answered ${pong} to PING`);
      return { postgres: 'ok', redis: 'ok' };
    },
  };
}
