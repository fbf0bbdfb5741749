import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { RpcPool } from '../solana/rpc-pool';
import type { ApiMetrics } from './metrics';

export interface ApiDeps {
  config: Pick<Config, 'api' | 'temporal' | 'streamPrefix' | 'env' | 'solana' | 'metrics'>;
  logger: Logger;
  pool: pg.Pool;
  redis: Redis;
  temporal: Client;
  /** The Solana providers; /health reports them when present. */
  rpcPool?: RpcPool;
  /** The API's metrics (made by createApp when not given; the socket relay counts into the same registry). */
  metrics?: ApiMetrics;
}
