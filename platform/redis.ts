import { Redis } from 'ioredis';

export function createRedis(url: string, connectionName = 'quantdesk'): Redis {
  return new Redis(url, { connectionName, maxRetriesPerRequest: 3, enableReadyCheck: true, lazyConnect: false });
}
