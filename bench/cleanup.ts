import type { Harness } from '../tests/support/harness';

/**
 * Terminates every workflow still running on the benchmark's task queue (resting orders would wait for
 * days on the server, and every later benchmark would share it with them). A failure is reported, not thrown.
 */
export async function terminateLeftovers(h: Harness, benchmark: string): Promise<void> {
  await h.temporal.workflowService
    .startBatchOperation({
      namespace: h.config.temporal.namespace,
      jobId: `bench-cleanup-${h.id}`,
      reason: `${benchmark} benchmark cleanup`,
      visibilityQuery: `TaskQueue = "${h.config.temporal.taskQueue}" AND ExecutionStatus = "Running"`,
      terminationOperation: {},
    })
    .catch((err: unknown) => process.stderr.write(`cleanup of the ${benchmark} workflows failed: ${String(err)}\n`));
}
