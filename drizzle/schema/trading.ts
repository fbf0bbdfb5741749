import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

// Amounts are integers in the domain's named precisions (BASE 1e9, PRICE 1e6, QUOTE 1e6): int8 read
// as bigint; funding indexes exceed int8 and are numeric(39,0), read as strings and parsed to bigint.
const amount = (name: string) => bigint(name, { mode: 'bigint' });
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const wallets = pgTable('wallets', {
  address: text('address').primaryKey(),
  createdAt: at('created_at').notNull(),
});

/** A trading sub-account: the program's User PDA for (wallet, sub-account id). */
export const accounts = pgTable(
  'accounts',
  {
    address: text('address').primaryKey(),
    wallet: text('wallet')
      .notNull()
      .references(() => wallets.address),
    subAccountId: integer('sub_account_id').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [uniqueIndex('accounts_wallet_sub_idx').on(t.wallet, t.subAccountId)],
);

export const markets = pgTable('markets', {
  marketIndex: integer('market_index').primaryKey(),
  symbol: text('symbol').notNull().unique(),
  marketAddress: text('market_address').notNull(),
  oracleAddress: text('oracle_address').notNull(),
  paused: boolean('paused').notNull().default(false),
  updatedAt: at('updated_at').notNull(),
});

export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(), // business key order:<account>:<clientOrderId>
    account: text('account')
      .notNull()
      .references(() => accounts.address),
    wallet: text('wallet').notNull(),
    marketIndex: integer('market_index').notNull(),
    clientOrderId: text('client_order_id').notNull(),
    kind: text('kind').notNull(), // market | limit | stop | take_profit | stop_loss
    baseAmount: amount('base_amount').notNull(), // signed: > 0 buy
    limitPrice: amount('limit_price'),
    triggerPrice: amount('trigger_price'),
    reduceOnly: boolean('reduce_only').notNull(),
    nonce: amount('nonce').notNull(),
    status: text('status').notNull(), // open (waiting for its trigger) | filled | cancelled | expired | rejected | failed
    /** Why the program refused the fill (its error name, e.g. SlippageExceeded), when status is rejected. */
    reason: text('reason'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
    /**
     * When the row last changed, by the database's clock (each write sets clock_timestamp()): the risk
     * monitor's trigger index follows the rows changed since its last read.
     */
    changedAt: at('changed_at')
      .notNull()
      .default(sql`clock_timestamp()`),
  },
  (t) => [
    index('orders_account_status_idx').on(t.account, t.status),
    index('orders_changed_idx').on(t.changedAt),
    index('orders_open_idx')
      .on(t.marketIndex)
      .where(sql`${t.status} = 'open'`),
  ],
);

export const fills = pgTable(
  'fills',
  {
    signature: text('signature').primaryKey(), // one fill per transaction
    orderId: text('order_id').notNull(),
    account: text('account').notNull(),
    wallet: text('wallet').notNull(),
    marketIndex: integer('market_index').notNull(),
    baseAmount: amount('base_amount').notNull(),
    price: amount('price').notNull(),
    fee: amount('fee').notNull(),
    realizedPnl: amount('realized_pnl').notNull(),
    filledAt: at('filled_at').notNull(),
  },
  (t) => [
    index('fills_account_time_idx').on(t.account, t.filledAt),
    // MIKEY's traded flow per market and minute (services/mikey/market-state.ts marketFlow).
    index('fills_market_time_idx').on(t.marketIndex, t.filledAt),
  ],
);

export const positions = pgTable(
  'positions',
  {
    account: text('account').notNull(),
    marketIndex: integer('market_index').notNull(),
    wallet: text('wallet').notNull(),
    baseAmount: amount('base_amount').notNull(),
    quoteEntry: amount('quote_entry').notNull(),
    lastFundingIndex: numeric('last_funding_index', { precision: 39, scale: 0 }).notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.account, t.marketIndex] })],
);

export const deposits = pgTable(
  'deposits',
  {
    signature: text('signature').primaryKey(), // the deposit's business key
    account: text('account').notNull(),
    wallet: text('wallet').notNull(),
    amount: amount('amount').notNull(),
    collateralAfter: amount('collateral_after').notNull(),
    slot: amount('slot').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [index('deposits_account_time_idx').on(t.account, t.createdAt)],
);

export const withdrawals = pgTable(
  'withdrawals',
  {
    id: text('id').primaryKey(), // withdraw:<account>:<requestId>
    account: text('account').notNull(),
    wallet: text('wallet').notNull(),
    amount: amount('amount').notNull(),
    status: text('status').notNull(), // reserved | settled | released (| duplicate: a second row of one signed transaction, before they were unique)
    /** The signed transaction's signature, known at reservation: one signed transaction is one withdrawal. */
    signature: text('signature'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [
    index('withdrawals_account_status_idx').on(t.account, t.status),
    uniqueIndex('withdrawals_signature_idx')
      .on(t.signature)
      .where(sql`${t.status} <> 'duplicate'`),
  ],
);

export const fundingRates = pgTable(
  'funding_rates',
  {
    marketIndex: integer('market_index').notNull(),
    epoch: amount('epoch').notNull(), // funding period number: unix hour
    rate: amount('rate').notNull(), // FUNDING_RATE_PRECISION per hour
    cumulativeIndex: numeric('cumulative_index', { precision: 39, scale: 0 }).notNull(),
    signature: text('signature').notNull(),
    settledAt: at('settled_at').notNull(),
    /** The crank's chain time (the market's last_funding_ts after it): each crank is booked under one period. */
    crankTs: amount('crank_ts'),
  },
  (t) => [
    primaryKey({ columns: [t.marketIndex, t.epoch] }),
    index('funding_rates_crank_idx').on(t.marketIndex, t.crankTs),
  ],
);

export const fundingPayments = pgTable(
  'funding_payments',
  {
    account: text('account').notNull(),
    marketIndex: integer('market_index').notNull(),
    epoch: amount('epoch').notNull(),
    wallet: text('wallet').notNull(),
    amount: amount('amount').notNull(), // > 0 paid by the account
  },
  (t) => [primaryKey({ columns: [t.account, t.marketIndex, t.epoch] })],
);

export const oraclePrices = pgTable(
  'oracle_prices',
  {
    marketIndex: integer('market_index').notNull(),
    publishedAt: at('published_at').notNull(),
    price: amount('price').notNull(),
    confidence: amount('confidence').notNull(),
    slot: amount('slot').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.marketIndex, t.publishedAt] }),
    index('oracle_prices_time_brin').using('brin', t.publishedAt),
  ],
);

export const liquidations = pgTable('liquidations', {
  id: text('id').primaryKey(), // liq:<account>:<market>:<episode> (runs before episodes: <minute>)
  account: text('account').notNull(),
  wallet: text('wallet').notNull(),
  marketIndex: integer('market_index').notNull(),
  closedBase: amount('closed_base').notNull(),
  price: amount('price').notNull(),
  fee: amount('fee').notNull(),
  insurancePaid: amount('insurance_paid')
    .notNull()
    .default(sql`0`),
  socializedLoss: amount('socialized_loss')
    .notNull()
    .default(sql`0`),
  signature: text('signature').notNull(),
  /** Partial liquidation steps the program executed in this episode. */
  steps: integer('steps').notNull().default(1),
  /** The program's episode number (User::liquidation_seq); null for runs recorded before episodes. */
  liquidationSeq: amount('liquidation_seq'),
  createdAt: at('created_at').notNull(),
});

export const insuranceFundLedger = pgTable('insurance_fund_ledger', {
  entryKey: text('entry_key').primaryKey(), // e.g. fee:<signature>
  delta: amount('delta').notNull(),
  reason: text('reason').notNull(),
  createdAt: at('created_at').notNull(),
});

/**
 * Each sub-account's balances as our books last saw them on chain: written from the program's state after
 * every deposit, withdrawal, fill and liquidation the workflows ran (a row only moves forward in slots).
 * The reconciliation compares them, with `positions`, against the chain.
 */
export const accountBalances = pgTable('account_balances', {
  account: text('account').primaryKey(),
  wallet: text('wallet').notNull(),
  collateral: amount('collateral').notNull(),
  /** Realized PnL the PnL pool still owes the account (paid as the pool refills). */
  unsettledPnl: amount('unsettled_pnl').notNull(),
  /** The chain slot of the state the row holds. */
  slot: amount('slot').notNull(),
  updatedAt: at('updated_at').notNull(),
});

/** One reconciliation of the books with the chain: what was compared and every difference found. */
export const reconciliationReports = pgTable(
  'reconciliation_reports',
  {
    id: text('id').primaryKey(), // the reconciliation workflow's ID
    /** The chain slot the scan started at. */
    slot: amount('slot').notNull(),
    accountsChecked: integer('accounts_checked').notNull(),
    differences: integer('differences').notNull(),
    /** Totals (chain and books) and the differences, as the report printed by `npm run audit -- reconcile`. */
    report: jsonb('report').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [index('reconciliation_reports_time_idx').on(t.createdAt)],
);

/**
 * A trader's alert subscriptions (domain/alerts.ts), written by the API as the wallet itself under Row
 * Level Security and checked by MIKEY. `firing` holds the markets where the condition fired and is not yet
 * clear again. One row per (account, kind, market, threshold): subscribing twice finds the first.
 */
export const alertSubscriptions = pgTable(
  'alert_subscriptions',
  {
    id: text('id').primaryKey(),
    wallet: text('wallet').notNull(),
    account: text('account').notNull(),
    kind: text('kind').notNull(), // liquidation-distance | funding-apr | liquidation-cascade
    marketIndex: integer('market_index'), // null: every market the account holds
    thresholdBps: integer('threshold_bps'),
    firing: integer('firing')
      .array()
      .notNull()
      .default(sql`'{}'`),
    createdAt: at('created_at').notNull(),
  },
  (t) => [
    unique('alert_subscriptions_key').on(t.account, t.kind, t.marketIndex, t.thresholdBps).nullsNotDistinct(),
    index('alert_subscriptions_wallet_idx').on(t.wallet),
  ],
);

/**
 * Alerts MIKEY fired for a subscription, one row per alert ID (a retried write adds nothing). A row is
 * written with its subscription's new state in one transaction, then published to the account's stream:
 * `published` stays false until it is, so an alert fired just before a crash is published after it.
 */
export const traderAlerts = pgTable(
  'trader_alerts',
  {
    id: text('id').primaryKey(),
    subscriptionId: text('subscription_id').notNull(),
    wallet: text('wallet').notNull(),
    account: text('account').notNull(),
    kind: text('kind').notNull(),
    market: text('market').notNull(),
    at: at('at').notNull(),
    summary: text('summary').notNull(),
    /** The formula, window, threshold and inputs that fired it. */
    workings: jsonb('workings').notNull(),
    published: boolean('published').notNull().default(false),
  },
  (t) => [
    index('trader_alerts_account_time_idx').on(t.account, t.at),
    index('trader_alerts_unpublished_idx')
      .on(t.at)
      .where(sql`not ${t.published}`),
  ],
);
