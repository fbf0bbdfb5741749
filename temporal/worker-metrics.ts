import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { observeKeeperSends } from '../solana/keeper-send';
import type { ActivityObserver } from '../activities';

/**
 * The worker's own metrics (ARCHITECTURE §9), beside the Temporal SDK's (Runtime telemetry, its own port):
 * activity latency by name and outcome, workflow outcomes by kind, keeper transactions by outcome, and the
 * keeper journal's entries waiting in Redis for Postgres (`journalPending`, read at each scrape).
 * Workflow outcomes are counted when a run's final record is written (a retried write may count twice;
 * the workflow_runs table is the exact record).
 */
export function createWorkerMetrics(
  registry: Registry,
  journalPending?: () => Promise<number>,
): { observer: ActivityObserver; stop: () => void } {
  const activities = new Histogram({
    name: 'qd_worker_activity_duration_seconds',
    help: 'Activity executions by activity name and outcome (ok, error)',
    labelNames: ['activity', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'qd_worker_workflow_outcomes_total',
    help: 'Workflow runs that ended, by kind and final status (completed, failed, cancelled)',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
  });
  const keeper = new Histogram({
    name: 'qd_keeper_transaction_duration_seconds',
    help: 'Keeper transactions sent, by outcome (landed, rejected by the program, failed to land), send to outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'qd_keeper_journal_redis_pending',
    help: 'Keeper transactions journaled in Redis while Postgres was unreachable, not yet copied to keeper_transactions',
    registers: [registry],
    async collect() {
      if (!journalPending) return;
      // Unread (Redis down): the last value stays; the Redis checks say why.
      const pending = await journalPending().catch(() => null);
      if (pending !== null) this.set(pending);
    },
  });
  const stop = observeKeeperSends((outcome, seconds) => keeper.observe({ outcome }, seconds));
  return {
    observer: {
      activity: (name, seconds, ok) => activities.observe({ activity: name, outcome: ok ? 'ok' : 'error' }, seconds),
      workflowEnded: (kind, status) => outcomes.inc({ kind, status }),
    },
    stop,
  };
}
