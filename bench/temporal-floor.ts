import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { offered, summarize } from './stats';
import { cpuMsPer, cpuSecondsBetween, snapshotCpu } from './process-cpu';

const EMPTY_WORKFLOW_PATH = fileURLToPath(new URL('./empty-workflow.ts', import.meta.url));

export interface FloorOptions {
  address: string;
  namespace: string;
  /** Its own task queue (a worker in this process polls it). */
  taskQueue: string;
  /** Workflows started at `perSecond`, one after the other (open loop), for the latency. */
  latency: { workflows: number; perSecond: number };
  /** Then this many at once, `inFlight` at a time, for the CPU per workflow. */
  burst: { workflows: number; inFlight: number };
}

/**
 * The Temporal server's floor on this machine, measured in the caller's run: an empty workflow (no
 * activity) started and awaited with the client the benchmark uses, on a worker in this process. Its
 * latency is what any workflow pays before doing anything; the server's and its Postgres's CPU per
 * workflow bounds how many workflows a second the machine's cores can run at all.
 */
export async function measureTemporalFloor(client: Client, o: FloorOptions) {
  const connection = await NativeConnection.connect({ address: o.address });
  const worker = await Worker.create({
    connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    workflowsPath: EMPTY_WORKFLOW_PATH,
  });
  let n = 0;
  const run = () =>
    client.workflow.execute('emptyWorkflow', { taskQueue: o.taskQueue, workflowId: `${o.taskQueue}-${n++}` });
  try {
    return await worker.runUntil(async () => {
      await run(); // the worker's first task (its sandbox) is not the floor
      const { latencies, errors } = await offered(o.latency.workflows, o.latency.perSecond, run);

      const cpuBefore = snapshotCpu();
      const burstStarted = performance.now();
      let left = o.burst.workflows;
      await Promise.all(
        Array.from({ length: o.burst.inFlight }, async () => {
          while (left-- > 0) await run();
        }),
      );
      const seconds = (performance.now() - burstStarted) / 1000;
      // The bench part includes this worker and the client.
      const cpuMsPerWorkflow = cpuMsPer(cpuSecondsBetween(cpuBefore, snapshotCpu()), o.burst.workflows);
      const server = (cpuMsPerWorkflow.temporal ?? 0) + (cpuMsPerWorkflow.postgres ?? 0);
      return {
        latencyMs: summarize(latencies),
        errors: errors.length,
        burst: {
          workflows: o.burst.workflows,
          inFlight: o.burst.inFlight,
          perSecond: Math.round((o.burst.workflows / seconds) * 10) / 10,
          cpuMsPerWorkflow,
        },
        // Workflows a second the server and its Postgres could run on all of this machine's cores with
        // nothing else running: an upper bound on any workflow-per-request path here.
        serverBoundPerSecond: Math.round((availableParallelism() * 1000) / Math.max(0.1, server)),
      };
    });
  } finally {
    await connection.close();
  }
}
