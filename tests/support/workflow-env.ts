// Workflow branches in seconds: the workflow code as it ships, on the Temporal CLI's dev server (the binary
// `npm test` builds, started on a free port), with stub activities that record what the workflow asked.
// Used by the unit project's workflows/*.test.ts; the end-to-end proofs stay in tests/integration.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { QdAccount, QdAccounts, QdKind, QdMarket, QdStatus, type Progress } from '../../workflows/definitions';

const CLI = process.env.QD_TEMPORAL_CLI ?? join(homedir(), '.cache/quantdesk/bin/temporal');
const WORKFLOWS = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/** What stub activities were asked, in order. */
export class CallLog {
  readonly calls: { name: string; input: unknown }[] = [];
  clear(): void {
    this.calls.length = 0;
  }
  of(name: string): unknown[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input);
  }
  names(): string[] {
    return this.calls.map((c) => c.name);
  }
  /** A stub that records its first argument and returns `result`. */
  stub<T>(name: string, result?: (input: never) => T | Promise<T>) {
    return async (input: never): Promise<T | undefined> => {
      this.calls.push({ name, input });
      return result ? result(input) : undefined;
    };
  }
  /** The progress bookkeeping every workflow runs (run records and step events), recorded. */
  bookkeeping() {
    return {
      recordWorkflowRun: this.stub('recordWorkflowRun'),
      recordWorkflowRuns: this.stub('recordWorkflowRuns'),
      publishWorkflowEvent: this.stub('publishWorkflowEvent'),
      publishWorkflowEvents: this.stub('publishWorkflowEvents'),
    };
  }
}

export interface WorkflowTestEnv {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  start(
    workflowType: string,
    workflowId: string,
    args: unknown[],
  ): ReturnType<TestWorkflowEnvironment['client']['workflow']['start']>;
  /** The run's steps as `step:status`, from its progress query. */
  stepsOf(workflowId: string): Promise<string[]>;
  waitForStep(workflowId: string, step: string): Promise<void>;
  close(): Promise<void>;
}

/** `serverArgs` go to the dev server (e.g. `--dynamic-config-value limit.historyCount.suggestContinueAsNew=40`). */
export async function startWorkflowTestEnv(
  taskQueue: string,
  activities: object,
  serverArgs: string[] = [],
): Promise<WorkflowTestEnv> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: CLI },
      searchAttributes: [QdAccount, QdAccounts, QdMarket, QdKind, QdStatus],
      extraArgs: serverArgs,
    },
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    activities,
    workflowsPath: WORKFLOWS,
    // QD_TEST_MAX_CACHED_WORKFLOWS=0 replays every activation from history (finds replay-only bugs).
    maxCachedWorkflows: Number(process.env.QD_TEST_MAX_CACHED_WORKFLOWS ?? 100),
  });
  const running = worker.run();
  // A query of a closed run is answered by replaying its history on this worker. Under load the dev server
  // has (rarely, once in several full unit runs) answered one with a patch-marker nondeterminism error
  // that the same history does not reproduce on a second replay; asked again, it answers.
  const stepsOf = async (workflowId: string): Promise<string[]> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const progress = await env.client.workflow.getHandle(workflowId).query<Progress>('getProgress');
        return progress.steps.map((s) => `${s.step}:${s.status}`);
      } catch (err) {
        if (attempt >= 3 || !String(err).includes('Nondeterminism')) throw err;
      }
    }
  };
  return {
    env,
    taskQueue,
    start: (workflowType, workflowId, args) => env.client.workflow.start(workflowType, { workflowId, taskQueue, args }),
    stepsOf,
    async waitForStep(workflowId, step) {
      for (let i = 0; i < 400; i++) {
        // Before its first workflow task the run answers no query yet.
        const steps = await stepsOf(workflowId).catch(() => [] as string[]);
        if (steps.includes(`${step}:completed`)) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`${workflowId} never completed ${step}`);
    },
    async close() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}
