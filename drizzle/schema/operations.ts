import { index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Operators' alerts as Alertmanager delivered them to the API's webhook (ARCHITECTURE §9): one row per
 * firing (its fingerprint and start), updated when it resolves and when an operator acknowledges it.
 */
export const opsAlerts = pgTable(
  'ops_alerts',
  {
    /** Alertmanager's fingerprint of the label set. */
    fingerprint: text('fingerprint').notNull(),
    startsAt: at('starts_at').notNull(),
    name: text('name').notNull(),
    severity: text('severity').notNull(),
    /** firing | resolved */
    status: text('status').notNull(),
    labels: jsonb('labels').notNull(),
    annotations: jsonb('annotations').notNull(),
    endsAt: at('ends_at'),
    acknowledgedBy: text('acknowledged_by'),
    acknowledgedAt: at('acknowledged_at'),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.fingerprint, t.startsAt] }), index('ops_alerts_time_idx').on(t.updatedAt)],
);
