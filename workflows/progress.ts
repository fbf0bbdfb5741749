import { ApplicationFailure, patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { bookkeepingLocalActivities, ledgerActivities } from './activity-proxies';
import {
  stepEvent,
  type EventSource,
  type RunStatus,
  type WorkflowEvent,
  type WorkflowKind,
} from '../domain/workflow-events';
import type { WorkflowRunRecord } from '../activities/bookkeeping/workflow-runs';
import { getProgressQuery, QdAccount, QdStatus, type Progress } from './definitions';

/**
 * Runs started before bookkeeping moved to local activities scheduled it as ordinary activities;
 * patched() keeps their histories replayable.
 */
const bookkeeping = () => (patched('bookkeeping-local-activities') ? bookkeepingLocalActivities : ledgerActivities);

/**
 * Tracks a workflow's steps: answers the progress query, keeps QdStatus current, records the run in
 * Postgres and publishes one event per step to the account's stream. Every write is idempotent.
 */
export class ProgressTracker {
  private readonly progress: Progress;

  constructor(
    private readonly kind: WorkflowKind,
    private readonly account: string,
    private readonly market: string | null = null,
  ) {
    this.progress = { workflowId: workflowInfo().workflowId, kind, status: 'running', steps: [] };
    setHandler(getProgressQuery, () => this.progress);
  }

  async start(): Promise<void> {
    await this.record('running', 'started');
  }

  async step<T>(name: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      await this.emit(name, 'completed');
      return result;
    } catch (err) {
      await this.emit(name, 'failed', errorMessage(err));
      await this.finish('failed', name);
      throw err;
    }
  }

  /**
   * Runs a step and reports it completed; a failure is returned, not reported, for the caller to decide
   * how the run ends (a program's rejection is an outcome, an outage a failure).
   */
  async attempt<T>(
    name: string,
    run: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    let value: T;
    try {
      value = await run();
    } catch (error) {
      return { ok: false, error };
    }
    await this.emit(name, 'completed');
    return { ok: true, value };
  }

  /**
   * Reports steps that already ran (inside one activity) as completed, in order, with one bookkeeping
   * call: `at` is when each ran, not when it is reported.
   */
  async completed(steps: readonly { name: string; at?: string }[]): Promise<void> {
    if (!steps.length) return;
    const now = new Date().toISOString();
    await bookkeepingLocalActivities.publishWorkflowEvents(
      steps.map(({ name, at = now }) => this.stepped(name, 'completed', at)),
    );
  }

  /**
   * Steps an activity ran and reported itself (their events published, the run recorded): the progress
   * query's answer follows, nothing is published again.
   */
  noted(steps: readonly { name: string; at: string }[]): void {
    for (const { name, at } of steps) this.progress.steps.push({ step: name, status: 'completed', at });
  }

  /** The run's outcome, once an activity has recorded it (the record first, as in finish()). */
  closed(status: Exclude<RunStatus, 'running'>): void {
    upsertSearchAttributes([{ key: QdStatus, value: status }]);
    this.progress.status = status;
  }

  /** The run's record at `status` and `step`, for an activity that records it itself. */
  runRecord(status: RunStatus, step: string): WorkflowRunRecord {
    const info = workflowInfo();
    return {
      businessKey: info.workflowId,
      workflowId: info.workflowId,
      runId: info.firstExecutionRunId,
      kind: this.kind,
      account: this.account,
      market: this.market,
      status,
      step,
      at: new Date().toISOString(),
    };
  }

  /** Reports a step that failed outside step() and records the run as failed. */
  async failed(step: string, err: unknown): Promise<void> {
    await this.emit(step, 'failed', errorMessage(err));
    await this.finish('failed', step);
  }

  /** Records the outcome first, so a status read as final is final everywhere. */
  async finish(status: Exclude<RunStatus, 'running'>, lastStep: string = status): Promise<void> {
    // Runs recorded before this change marked the status first; patched() keeps them replayable.
    if (!patched('finish-records-first')) {
      this.progress.status = status;
      upsertSearchAttributes([{ key: QdStatus, value: status }]);
      await this.record(status, lastStep);
      return;
    }
    await this.record(status, lastStep);
    upsertSearchAttributes([{ key: QdStatus, value: status }]);
    this.progress.status = status;
  }

  private async emit(step: string, status: 'completed' | 'failed', error?: string): Promise<void> {
    await bookkeeping().publishWorkflowEvent(this.stepped(step, status, new Date().toISOString(), error));
  }

  /** Adds a step to the progress query's answer and returns its event. */
  private stepped(step: string, status: 'completed' | 'failed', at: string, error?: string): WorkflowEvent {
    this.progress.steps.push({ step, status, at, ...(error ? { error } : {}) });
    return stepEvent(this.source, step, status, at, error);
  }

  /** Whose events this run publishes. */
  get source(): EventSource {
    return { workflowId: this.progress.workflowId, kind: this.kind, account: this.account };
  }

  private async record(status: RunStatus, step: string): Promise<void> {
    await bookkeeping().recordWorkflowRun(this.runRecord(status, step));
  }
}

/**
 * The opening shared by workflows that act on a user-signed transaction: the account it names becomes
 * the run's QdAccount and event stream, and the check is reported as the first step.
 */
export async function trackValidated<C extends { account: string }>(
  kind: WorkflowKind,
  check: C,
): Promise<ProgressTracker> {
  upsertSearchAttributes([{ key: QdAccount, value: check.account }]);
  const progress = new ProgressTracker(kind, check.account);
  await progress.start();
  await progress.step('validated', async () => check);
  return progress;
}

function errorMessage(err: unknown): string {
  if (err instanceof ApplicationFailure) return `${err.type ?? 'Error'}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
