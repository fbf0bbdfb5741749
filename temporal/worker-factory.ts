import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from '../activities';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests share one); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** A connection to share (a client in the same process can then start workflows eagerly on this worker). */
  connection?: NativeConnection;
  /** Slot and cache sizes beyond the SDK's defaults. */
  tuning?: WorkerTuning;
}

export type WorkerTuning = Pick<
  WorkerOptions,
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxCachedWorkflows'
  | 'maxEagerActivityReservationsPerWorkflowTask'
  | 'maxConcurrentActivityTaskPolls'
  | 'maxConcurrentWorkflowTaskPolls'
>;

/**
 * Sized for a liquidation burst: a crash puts hundreds of accounts under water in one tick, each episode
 * mostly waits on the chain, so many run at once; eager activities take the episode's chain activity
 * straight from the workflow task's completion (when the server allows it).
 */
/** Postgres connections of a process running a liquidation worker: the keeper's journal and the bookkeeping at once. */
export const LIQUIDATION_BURST_PG_CONNECTIONS = 30;

export const LIQUIDATION_BURST_TUNING: WorkerTuning = {
  maxConcurrentActivityTaskExecutions: 400,
  maxConcurrentLocalActivityExecutions: 400,
  // A workflow task that runs the bookkeeping local activities holds its slot until they finish: enough
  // slots that those never leave a new liquidation's first task without one (and so not eagerly started).
  maxConcurrentWorkflowTaskExecutions: 200,
  maxCachedWorkflows: 5_000,
  maxEagerActivityReservationsPerWorkflowTask: 3,
  maxConcurrentWorkflowTaskPolls: 8,
  maxConcurrentActivityTaskPolls: 8,
};

export async function createWorker(settings: WorkerSettings, deps: ActivityDeps): Promise<Worker> {
  const connection = settings.connection ?? (await NativeConnection.connect({ address: settings.address }));
  return Worker.create({
    ...settings.tuning,
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities: createActivities(deps),
    ...(settings.workflowBundle ? { workflowBundle: settings.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    shutdownGraceTime: '10 seconds',
  });
}
