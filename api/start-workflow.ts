import { WorkflowExecutionAlreadyStartedError, type WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { ApiDeps } from './deps';

export interface Started {
  workflowId: string;
  runId: string;
  /** True when the business key already had a workflow: the request found it instead of starting one. */
  existing: boolean;
}

/** Starts a workflow under its business-key ID, or returns the one that key already started. */
export async function startOrFind<W extends Workflow>(
  deps: ApiDeps,
  workflowType: string,
  options: Omit<WorkflowStartOptions<W>, 'taskQueue' | 'workflowIdReusePolicy'>,
): Promise<Started> {
  try {
    const handle = await deps.temporal.workflow.start<W>(workflowType, {
      ...options,
      taskQueue: deps.config.temporal.taskQueue,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    } as WorkflowStartOptions<W>);
    return { workflowId: options.workflowId, runId: handle.firstExecutionRunId, existing: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const description = await deps.temporal.workflow.getHandle(options.workflowId).describe();
    return { workflowId: options.workflowId, runId: description.runId, existing: true };
  }
}
