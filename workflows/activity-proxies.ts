import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** Chain calls: backing off to 30 s, 20 attempts (a final answer is a failure the workflow handles). */
const CHAIN_RETRY = {
  initialInterval: '500 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 20,
} as const;
/** Postgres and Redis writes: idempotent, retried until they succeed. */
const WRITE_RETRY = {
  initialInterval: '200 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
} as const;

// Activities heartbeat every second while they run (activities/support/heartbeats.ts): a worker that dies
// mid-activity is noticed after the heartbeat timeout and the activity retried elsewhere.

/** Chain calls: timeout covers the RPC pool's worst case (rounds x providers x request timeout). */
export const chainActivities = proxyActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: '5 seconds',
  retry: CHAIN_RETRY,
});

/**
 * A liquidation episode: several chain steps with short pauses in one activity, so the durable layer adds
 * one round trip, not one per step. Heartbeats carry the steps done; the send journal makes retries safe.
 */
export const liquidationActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // Longer than the others': in a crash the worker is busiest, and a second attempt started beside a live
  // one (its heartbeats late, not stopped) doubles the work exactly when it hurts most.
  heartbeatTimeout: '15 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 20,
  },
});

/** Postgres and Redis writes: short, idempotent, retried until they succeed. */
export const ledgerActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  heartbeatTimeout: '5 seconds',
  retry: WRITE_RETRY,
});

/**
 * Progress bookkeeping (step events, run records) as local activities: run by the worker that runs the
 * workflow, recorded as markers, without a round trip through the task queue per step.
 */
export const bookkeepingLocalActivities = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: WRITE_RETRY,
});

/**
 * An order's checks (signature, pre-trade risk on chain reads) as local activities: they take tens of
 * milliseconds, and each as a task-queue activity cost the order a workflow task round trip.
 */
export const orderCheckLocalActivities = proxyLocalActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  localRetryThreshold: '10 seconds',
  retry: CHAIN_RETRY,
});

/**
 * A fill sent by the keeper as a local activity: the order's whole run in one workflow task. A retry (on
 * this worker, or on another after this one died) sends the journaled transaction again, never a second one.
 */
export const fillLocalActivities = proxyLocalActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  localRetryThreshold: '10 seconds',
  retry: CHAIN_RETRY,
});

/** An order's rows (resting, trigger, fill, closed) as local activities, retried until they succeed. */
export const orderRowLocalActivities = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: WRITE_RETRY,
});

/**
 * Asking the chain what became of a transaction, for a saga's compensation: retried until every provider
 * has answered (an outage must not make a transfer that executed look like one that did not).
 */
export const resolutionActivities = proxyActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/** The reconciliation: a scan of every account (seconds to minutes on a large book), heartbeating. */
export const reconciliationActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});
