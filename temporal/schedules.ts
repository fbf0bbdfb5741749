import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { QdKind, QdMarket } from '../workflows/definitions';

export const fundingScheduleId = (marketIndex: number) => `funding-schedule:${marketIndex}`;

/** One hourly Schedule per market that starts fundingScheduleWorkflow; existing schedules are kept. */
export async function ensureFundingSchedules(
  client: Client,
  taskQueue: string,
  marketIndexes: number[],
): Promise<string[]> {
  const created: string[] = [];
  for (const marketIndex of marketIndexes) {
    try {
      await client.schedule.create({
        scheduleId: fundingScheduleId(marketIndex),
        spec: { intervals: [{ every: '1 hour' }] },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
        action: {
          type: 'startWorkflow',
          workflowType: 'fundingScheduleWorkflow',
          workflowId: `funding-run:${marketIndex}`,
          taskQueue,
          args: [{ marketIndex }],
          typedSearchAttributes: [
            { key: QdKind, value: 'funding' },
            { key: QdMarket, value: String(marketIndex) },
          ],
        },
      });
      created.push(fundingScheduleId(marketIndex));
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }
  return created;
}

export const RECONCILIATION_SCHEDULE_ID = 'reconciliation-schedule';

/** The hourly reconciliation of the books with the chain; an existing schedule is kept. Returns whether it was created. */
export async function ensureReconciliationSchedule(
  client: Client,
  taskQueue: string,
  scheduleId = RECONCILIATION_SCHEDULE_ID,
): Promise<boolean> {
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1 hour' }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      action: {
        type: 'startWorkflow',
        workflowType: 'reconciliationWorkflow',
        workflowId: 'reconcile',
        taskQueue,
        args: [],
        typedSearchAttributes: [{ key: QdKind, value: 'reconciliation' }],
      },
    });
    return true;
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    return false;
  }
}
