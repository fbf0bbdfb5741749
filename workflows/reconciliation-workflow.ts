import { workflowInfo } from '@temporalio/workflow';
import type { ReconciliationReport } from '../activities/reconciliation';
import { SYSTEM_ACCOUNT } from '../domain/workflow-events';
import { reconciliationActivities as reconcile } from './activity-proxies';
import { ProgressTracker } from './progress';

/**
 * Reconciliation: the books (Postgres) compared with the chain, one report row per run (keyed by this
 * workflow's ID, so a retried activity finds it). Started hourly by a Schedule (`reconcile-<scheduled
 * time>`) and by `npm run audit -- reconcile` (workflowIds.reconciliation: one run per minute asked). A difference is an outcome, not a failure: the run completes with the
 * report, and the report row and the alert stream carry it to operators.
 */
export async function reconciliationWorkflow(): Promise<ReconciliationReport> {
  const progress = new ProgressTracker('reconciliation', SYSTEM_ACCOUNT);
  await progress.start();
  const report = await progress.step('compared', () =>
    reconcile.reconcileBooks({ reportId: workflowInfo().workflowId, at: new Date().toISOString() }),
  );
  if (report.differenceCount > 0) await progress.step('differences-reported', async () => report.differenceCount);
  await progress.finish('completed');
  return report;
}
