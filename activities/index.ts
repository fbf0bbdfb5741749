import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Database } from '../platform/postgres';
import { createWorkflowRunActivities } from './db/workflow-runs';
import { createEventActivities } from './events/publish-workflow-event';
import { createSystemActivities } from './system/check-dependencies';

export interface ActivityDeps {
  pool: pg.Pool;
  db: Database;
  redis: Redis;
  streamPrefix: string;
}

/** Every activity, built from its dependencies; workflows see only the type of this object. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createWorkflowRunActivities(deps.db),
    ...createEventActivities(deps.redis, deps.streamPrefix),
    ...createSystemActivities(deps.pool, deps.redis),
  };
}

export type Activities = ReturnType<typeof createActivities>;
