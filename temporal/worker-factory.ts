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
}

export async function createWorker(settings: WorkerSettings, deps: ActivityDeps): Promise<Worker> {
  const connection = await NativeConnection.connect({ address: settings.address });
  return Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities: createActivities(deps),
    ...(settings.workflowBundle ? { workflowBundle: settings.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    shutdownGraceTime: '10 seconds',
  });
}
