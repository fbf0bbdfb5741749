import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Database } from '../platform/postgres';
import { createWorkflowRunActivities } from './bookkeeping/workflow-runs';
import { createEventActivities } from './bookkeeping/publish-workflow-event';
import { createSystemActivities } from './probe';
import { createChainActivities } from './deposits-withdrawals';
import { createLedgerActivities, createWithdrawalActivities } from './ledger-rows';
import { createRiskActivities } from '../solana/margin-account';
import type { RpcPool } from '../solana/rpc-pool';
import type { Keypair } from '@solana/web3.js';
import type { Client } from '@temporalio/client';
import { createOrderActivities } from './orders';
import { createOrderStepActivities } from './order-steps';
import { createFundingActivities } from './funding';
import { createLiquidationActivities } from './liquidation';
import { createReconciliationActivities } from './reconciliation';
import { journalWithFallback } from '../solana/send-journal';
import { withHeartbeats } from './support/heartbeats';
import type { RunStatus, WorkflowEvent, WorkflowKind } from '../domain/workflow-events';
import { turnBatcher } from '../platform/turn-batcher';

/** What the activities tell the worker's metrics (temporal/worker-metrics.ts). */
export interface ActivityObserver {
  activity(name: string, seconds: number, ok: boolean): void;
  workflowEnded(kind: WorkflowKind, status: RunStatus): void;
}

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
  /** The worker's metrics, told of every activity run and every workflow run that ended. */
  observer?: ActivityObserver;
}

/** Every activity, built from its dependencies, heartbeating while it runs; workflows see only the type of this object. */
export function createActivities(deps: ActivityDeps) {
  const events = createEventActivities(deps.redis, deps.streamPrefix, deps.db);
  // The keeper's send journal: Postgres, Redis while Postgres is unreachable (the chain work goes on).
  const journal = journalWithFallback(deps.db, deps.redis, deps.streamPrefix);
  const observer = deps.observer;
  const runs = createWorkflowRunActivities(deps.db, observer?.workflowEnded);
  const orders = createOrderActivities(deps.rpcPool, deps.db, deps.keeper, journal);
  return withHeartbeats(
    {
      ...runs,
      ...events,
      ...createSystemActivities(deps.pool, deps.redis),
      ...createLedgerActivities(deps.db),
      ...createWithdrawalActivities(deps.db),
      ...createRiskActivities(deps.rpcPool),
      ...orders,
      ...createOrderStepActivities({ ...runs, ...events, ...orders }),
      ...createFundingActivities(deps.rpcPool, deps.db, deps.keeper, journal),
      ...createLiquidationActivities(deps.rpcPool, deps.db, deps.keeper, deps.temporal, {
        // The episodes that end in one turn tell their steps in one pipeline.
        publish: turnBatcher(async (batches: WorkflowEvent[][]) => {
          await events.publishWorkflowEvents(batches.flat());
          return batches.map(() => undefined);
        }, 256),
        journal,
      }),
      ...createChainActivities(deps.rpcPool),
      ...createReconciliationActivities(deps.rpcPool, deps.db, deps.redis, deps.streamPrefix),
    },
    observer?.activity,
  );
}

export type Activities = ReturnType<typeof createActivities>;
