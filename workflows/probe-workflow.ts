import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { SYSTEM_ACCOUNT } from '../domain/workflow-events';
import { ProgressTracker } from './progress';

const { checkDependencies } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 5, initialInterval: '500 milliseconds' },
});

export interface ProbeInput {
  probeId: string;
}

export interface ProbeResult {
  probeId: string;
  dependencies: Record<string, 'ok'>;
  completedAt: string;
}

/**
 * A platform self-test: proves a request travels API -> Temporal -> worker -> Postgres and Redis and
 * that its progress comes back as a query, search attributes and stream events.
 */
export async function probeWorkflow(input: ProbeInput): Promise<ProbeResult> {
  const progress = new ProgressTracker('probe', SYSTEM_ACCOUNT);
  await progress.start();
  const dependencies = await progress.step('dependencies-checked', () => checkDependencies());
  await progress.finish('completed');
  return { probeId: input.probeId, dependencies, completedAt: new Date().toISOString() };
}
