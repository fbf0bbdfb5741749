import { sql } from 'drizzle-orm';
import type { Database } from '../../platform/postgres';
import { workflowRuns } from '../../drizzle/schema';
import type { RunStatus, WorkflowKind } from '../../domain/workflow-events';

export interface WorkflowRunRecord {
  businessKey: string;
  workflowId: string;
  runId: string;
  kind: WorkflowKind;
  account: string | null;
  market: string | null;
  status: RunStatus;
  step: string;
  /** ISO-8601 time from the workflow's clock. */
  at: string;
}

export function createWorkflowRunActivities(db: Database) {
  return {
    /** Upsert by business key: a retried activity rewrites the same row, never adds a second. */
    async recordWorkflowRun(run: WorkflowRunRecord): Promise<void> {
      const at = new Date(run.at);
      await db
        .insert(workflowRuns)
        .values({ ...run, createdAt: at, updatedAt: at })
        .onConflictDoUpdate({
          target: workflowRuns.businessKey,
          set: { runId: run.runId, status: run.status, step: run.step, updatedAt: at },
          // A late retry of an older write must not move the row back in time.
          setWhere: sql`${workflowRuns.updatedAt} <= ${at}`,
        });
    },
  };
}
