import { sql } from 'drizzle-orm';
import type { Database } from '../../platform/postgres';
import { workflowRuns } from '../../drizzle/schema';
import { insertByColumns, setExcluded } from '../../platform/unnest';
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

const RUN_COLUMNS = [
  'businessKey',
  'workflowId',
  'runId',
  'kind',
  'account',
  'market',
  'status',
  'step',
  'createdAt',
  'updatedAt',
] as const;

export function createWorkflowRunActivities(
  db: Database,
  onEnded: (kind: WorkflowKind, status: RunStatus) => void = () => undefined,
) {
  /** Upsert by business key: a retried activity rewrites the same rows, never adds a second. */
  const upsertRuns = async (runs: readonly WorkflowRunRecord[]): Promise<void> => {
    if (!runs.length) return;
    const rows = runs.map((run) => ({ ...run, createdAt: new Date(run.at), updatedAt: new Date(run.at) }));
    const { runId, workflowId, status, step, updatedAt } = workflowRuns;
    await db.execute(sql`${insertByColumns(workflowRuns, RUN_COLUMNS, rows)}
      on conflict (${sql.identifier(workflowRuns.businessKey.name)}) do update
      set ${setExcluded([runId, workflowId, status, step, updatedAt])}
      where ${workflowRuns.updatedAt} <= excluded.updated_at`); // a late retry of an older write never moves a row back
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
