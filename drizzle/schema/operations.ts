import { doublePrecision, index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

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

/**
 * MIKEY's insights (services/mikey), one row per insight ID (market, kind, time): a replay of the same
 * stream writes the same rows. `value` is a statistic (a volatility, a z-score, a count), never an amount.
 */
export const insights = pgTable(
  'insights',
  {
    id: text('id').primaryKey(),
    market: text('market').notNull(),
    kind: text('kind').notNull(),
    at: at('at').notNull(),
    summary: text('summary').notNull(),
    value: doublePrecision('value').notNull(),
    /** The formula, window, threshold and inputs that fired it. */
    workings: jsonb('workings').notNull(),
  },
  (t) => [index('insights_market_time_idx').on(t.market, t.at)],
);
