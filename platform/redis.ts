import { Redis } from 'ioredis';

/**
 * A Redis client that reconnects by itself. Connection errors during an outage are not logged here: each
 * command that fails rejects, and its caller says what it could not do (and whether it waits or falls back).
 */
export function createRedis(url: string, connectionName = 'quantdesk'): Redis {
  const redis = new Redis(url, { connectionName, maxRetriesPerRequest: 3, enableReadyCheck: true, lazyConnect: false });
  redis.on('error', () => undefined);
  return redis;
}
