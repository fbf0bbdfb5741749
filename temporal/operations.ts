import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { QdAccount, QdAccounts, QdKind, QdMarket, QdStatus, workflowIds } from '../workflows/definitions';
import type { ReconciliationReport } from '../activities/reconciliation';
import { auditFromHistory, type WorkflowAudit } from './audit-report';
import { WORKFLOWS_PATH } from './worker-factory';
import { enums } from './proto';
import type pg from 'pg';

export interface WorkflowFilter {
  account?: string;
  market?: string;
  kind?: string;
  status?: string;
  /** ISO times bounding StartTime. */
  from?: string;
  to?: string;
}

const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;

/** A Temporal visibility query over our search attributes (values are sanitised, never interpolated raw). */
export function visibilityQuery(f: WorkflowFilter): string {
  const parts: string[] = [];
  // A liquidation batch names its accounts in a list of its own.
  if (f.account) parts.push(`(${QdAccount.name} = ${quote(f.account)} OR ${QdAccounts.name} = ${quote(f.account)})`);
  if (f.market) parts.push(`${QdMarket.name} = ${quote(f.market)}`);
  if (f.kind) parts.push(`${QdKind.name} = ${quote(f.kind)}`);
  if (f.status) parts.push(`${QdStatus.name} = ${quote(f.status)}`);
  if (f.from) parts.push(`StartTime >= ${quote(new Date(f.from).toISOString())}`);
  if (f.to) parts.push(`StartTime <= ${quote(new Date(f.to).toISOString())}`);
  return parts.join(' AND ');
}

export async function listWorkflows(
  client: Client,
  filter: WorkflowFilter,
  limit = 100,
): Promise<WorkflowExecutionInfo[]> {
  const out: WorkflowExecutionInfo[] = [];
  for await (const wf of client.workflow.list({ query: visibilityQuery(filter) || undefined })) {
    out.push(wf);
    if (out.length >= limit) break;
  }
  return out;
}

/** Starts a failed, cancelled or terminated workflow again under the same ID with the same input. */
export async function retryWorkflow(client: Client, workflowId: string): Promise<{ runId: string }> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING' || description.status.name === 'COMPLETED') {
    throw new Error(
      `${workflowId} is ${description.status.name.toLowerCase()}; only failed, cancelled or terminated runs are retried`,
    );
  }
  const history = await handle.fetchHistory();
  const audit = auditFromHistory(workflowId, history);
  const args = audit.input === undefined ? [] : Array.isArray(audit.input) ? audit.input : [audit.input];
  const next = await client.workflow.start(description.type, {
    workflowId,
    taskQueue: description.taskQueue,
    args,
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: description.typedSearchAttributes,
  });
  return { runId: next.firstExecutionRunId };
}

/** Fetches a workflow's history and replays it against the current workflow code. */
export async function replayWorkflow(
  client: Client,
  workflowId: string,
): Promise<{ audit: WorkflowAudit; error: string | null }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  let error: string | null = null;
  try {
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, workflowId);
  } catch (err) {
    error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  return { audit: auditFromHistory(workflowId, history), error };
}

/** Every workflow of an account in a time range, each replayed against the current code (oldest first). */
export async function auditAccount(
  client: Client,
  range: { account: string; from: string; to: string },
  limit = 1_000,
) {
  const runs = await listWorkflows(client, range, limit);
  const verdicts = new Map<string, string | null>();
  const audits: WorkflowAudit[] = [];
  for (const run of runs.reverse()) {
    const { audit, error } = await replayWorkflow(client, run.workflowId);
    audits.push(audit);
    verdicts.set(run.workflowId, error);
  }
  return {
    audits,
    verdicts,
    title: `Account ${range.account}, ${range.from} to ${range.to}: ${audits.length} workflow(s)`,
  };
}

/**
 * Runs a reconciliation now and waits for its report: the run asked for this UTC minute (asking again
 * within it joins the same run, or finds its stored report).
 */
export async function runReconciliation(client: Client, taskQueue: string, now: Date): Promise<ReconciliationReport> {
  const workflowId = workflowIds.reconciliation(now.toISOString().slice(0, 16));
  const handle = await client.workflow.start('reconciliationWorkflow', {
    workflowId,
    taskQueue,
    args: [],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: QdKind, value: 'reconciliation' }],
  });
  return (await handle.result()) as ReconciliationReport;
}

const TASK_TYPES = {
  workflow: enums.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  activity: enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
} as const;

/** The pollers the server lists for a task queue and task type, each with when it last polled. */
export async function taskQueuePollers(
  client: Client,
  namespace: string,
  taskQueue: string,
  type: keyof typeof TASK_TYPES,
) {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: TASK_TYPES[type],
  });
  return pollers ?? [];
}

export interface ReconciliationSummary {
  reportId: string;
  slot: string;
  accountsChecked: number;
  differences: number;
  at: Date;
}

/** The latest reconciliation reports, newest first, without their bodies. */
export async function recentReconciliations(pool: pg.Pool, limit: number): Promise<ReconciliationSummary[]> {
  const { rows } = await pool.query<{
    id: string;
    slot: string;
    accounts_checked: number;
    differences: number;
    created_at: Date;
  }>(
    'SELECT id, slot::text, accounts_checked, differences, created_at FROM reconciliation_reports ORDER BY created_at DESC LIMIT $1',
    [limit],
  );
  return rows.map((r) => ({
    reportId: r.id,
    slot: r.slot,
    accountsChecked: r.accounts_checked,
    differences: r.differences,
    at: r.created_at,
  }));
}
