import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row per business action: its business key (the workflow ID) and the Temporal run executing it.
 * Operators and auditors join from here to Temporal; upserts on business_key keep retries idempotent.
 */
export const workflowRuns = pgTable(
  'workflow_runs',
  {
    businessKey: text('business_key').primaryKey(),
    workflowId: text('workflow_id').notNull(),
    runId: text('run_id').notNull(),
    kind: text('kind').notNull(),
    account: text('account'),
    market: text('market'),
    status: text('status').notNull(),
    step: text('step').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    index('workflow_runs_account_idx').on(t.account, t.updatedAt),
    index('workflow_runs_kind_status_idx').on(t.kind, t.status),
  ],
);

/**
 * The keeper's signed transactions, journaled before they are sent, one per activity (workflow ID and
 * activity ID, stable across retries): a retry after a worker died re-sends the same signed bytes (same
 * signature, so the chain executes it at most once) instead of signing a second transaction.
 */
export const keeperTransactions = pgTable('keeper_transactions', {
  key: text('key').primaryKey(),
  signature: text('signature').notNull(),
  transaction: text('transaction').notNull(), // base64 wire bytes
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/**
 * Workflow events that could not reach Redis when published (an outage): kept here, in order, and moved
 * to the streams by the worker's drain once Redis answers (the streams' dedupe keys make a late second
 * publish of the same event add nothing). The money path never waits on Redis.
 */
export const eventOutbox = pgTable('event_outbox', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  eventKey: text('event_key').notNull().unique(),
  event: jsonb('event').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
});
