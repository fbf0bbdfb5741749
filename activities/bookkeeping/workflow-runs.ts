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

export function createWorkflowRunActivities(
  db: Database,
  onEnded: (kind: WorkflowKind, status: RunStatus) => void = () => undefined,
) {
  /** Upsert by business key: a retried activity rewrites the same rows, never adds a second. */
  const upsertRuns = async (runs: readonly WorkflowRunRecord[]): Promise<void> => {
    if (!runs.length) return;
    await db
      .insert(workflowRuns)
      .values(runs.map((run) => ({ ...run, createdAt: new Date(run.at), updatedAt: new Date(run.at) })))
      .onConflictDoUpdate({
        target: workflowRuns.businessKey,
        set: {
          runId: sql`excluded.run_id`,
          workflowId: sql`excluded.workflow_id`,
          status: sql`excluded.status`,
          step: sql`excluded.step`,
          updatedAt: sql`excluded.updated_at`,
        },
        // A late retry of an older write must not move a row back in time.
        setWhere: sql`${workflowRuns.updatedAt} <= excluded.updated_at`,
      });
    for (const run of runs) if (run.status !== 'running') onEnded(run.kind, run.status);
  };
  return {
    async recordWorkflowRun(run: WorkflowRunRecord): Promise<void> {
      await upsertRuns([run]);
    },

    /** Many runs in one statement (a liquidation batch records one per account); business keys must differ. */
    async recordWorkflowRuns(runs: WorkflowRunRecord[]): Promise<void> {
      await upsertRuns(runs);
    },
  };
}
