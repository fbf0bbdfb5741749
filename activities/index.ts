import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Database } from '../platform/postgres';
import { createWorkflowRunActivities } from './db/workflow-runs';
import { createEventActivities } from './events/publish-workflow-event';
import { createSystemActivities } from './system/check-dependencies';
import { createChainActivities } from './chain/chain-activities';
import { createLedgerActivities, createWithdrawalActivities } from './db/ledger';
import { createRiskActivities } from './risk/free-collateral';
import type { RpcPool } from './chain/rpc-pool';
import type { Keypair } from '@solana/web3.js';
import type { Client } from '@temporalio/client';
import { createOrderActivities } from './chain/order-activities';
import { createFundingActivities } from './chain/funding-activities';
import { createLiquidationActivities } from './chain/liquidation-activities';
import { withHeartbeats } from './support/heartbeats';

export interface ActivityDeps {
  pool: pg.Pool;
  db: Database;
  redis: Redis;
  streamPrefix: string;
  rpcPool: RpcPool;
  /** Signs fills; null on workers that do not run the keeper. */
  keeper: Keypair | null;
  /** For activities that act on other workflows (cancelling resting orders). */
  temporal: Client | null;
}

/** Every activity, built from its dependencies, heartbeating while it runs; workflows see only the type of this object. */
export function createActivities(deps: ActivityDeps) {
  const events = createEventActivities(deps.redis, deps.streamPrefix);
  return withHeartbeats({
    ...createWorkflowRunActivities(deps.db),
    ...events,
    ...createSystemActivities(deps.pool, deps.redis),
    ...createLedgerActivities(deps.db),
    ...createWithdrawalActivities(deps.db),
    ...createRiskActivities(deps.rpcPool),
    ...createOrderActivities(deps.rpcPool, deps.db, deps.keeper),
    ...createFundingActivities(deps.rpcPool, deps.db, deps.keeper),
    ...createLiquidationActivities(deps.rpcPool, deps.db, deps.keeper, deps.temporal, { publish: events.publishWorkflowEvents }),
    ...createChainActivities(deps.rpcPool),
  });
}

export type Activities = ReturnType<typeof createActivities>;

