import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';

export interface ApiDeps {
  config: Pick<Config, 'api' | 'temporal' | 'streamPrefix'>;
  logger: Logger;
  pool: pg.Pool;
  redis: Redis;
  temporal: Client;
}
