import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** Chain calls: timeout covers the RPC pool's worst case (rounds x providers x request timeout). */
export const chainActivities = proxyActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 },
});

/** Postgres and Redis writes: short, idempotent, retried until they succeed. */
export const ledgerActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
