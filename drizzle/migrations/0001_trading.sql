CREATE TABLE "accounts" (
	"address" text PRIMARY KEY NOT NULL,
	"wallet" text NOT NULL,
	"sub_account_id" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deposits" (
	"signature" text PRIMARY KEY NOT NULL,
	"account" text NOT NULL,
	"wallet" text NOT NULL,
	"amount" bigint NOT NULL,
	"collateral_after" bigint NOT NULL,
	"slot" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fills" (
	"signature" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"account" text NOT NULL,
	"wallet" text NOT NULL,
	"market_index" integer NOT NULL,
	"base_amount" bigint NOT NULL,
	"price" bigint NOT NULL,
	"fee" bigint NOT NULL,
	"realized_pnl" bigint NOT NULL,
	"filled_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "funding_payments" (
	"account" text NOT NULL,
	"market_index" integer NOT NULL,
	"epoch" bigint NOT NULL,
	"wallet" text NOT NULL,
	"amount" bigint NOT NULL,
	CONSTRAINT "funding_payments_account_market_index_epoch_pk" PRIMARY KEY("account","market_index","epoch")
);
--> statement-breakpoint
CREATE TABLE "funding_rates" (
	"market_index" integer NOT NULL,
	"epoch" bigint NOT NULL,
	"rate" bigint NOT NULL,
	"cumulative_index" numeric(39, 0) NOT NULL,
	"signature" text NOT NULL,
	"settled_at" timestamp with time zone NOT NULL,
	CONSTRAINT "funding_rates_market_index_epoch_pk" PRIMARY KEY("market_index","epoch")
);
--> statement-breakpoint
CREATE TABLE "insurance_fund_ledger" (
	"entry_key" text PRIMARY KEY NOT NULL,
	"delta" bigint NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "liquidations" (
	"id" text PRIMARY KEY NOT NULL,
	"account" text NOT NULL,
	"wallet" text NOT NULL,
	"market_index" integer NOT NULL,
	"closed_base" bigint NOT NULL,
	"price" bigint NOT NULL,
	"fee" bigint NOT NULL,
	"insurance_paid" bigint DEFAULT 0 NOT NULL,
	"socialized_loss" bigint DEFAULT 0 NOT NULL,
	"signature" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "markets" (
	"market_index" integer PRIMARY KEY NOT NULL,
	"symbol" text NOT NULL,
	"market_address" text NOT NULL,
	"oracle_address" text NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "markets_symbol_unique" UNIQUE("symbol")
);
--> statement-breakpoint
CREATE TABLE "oracle_prices" (
	"market_index" integer NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"price" bigint NOT NULL,
	"confidence" bigint NOT NULL,
	"slot" bigint NOT NULL,
	CONSTRAINT "oracle_prices_market_index_published_at_pk" PRIMARY KEY("market_index","published_at")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" text PRIMARY KEY NOT NULL,
	"account" text NOT NULL,
	"wallet" text NOT NULL,
	"market_index" integer NOT NULL,
	"client_order_id" text NOT NULL,
	"kind" text NOT NULL,
	"base_amount" bigint NOT NULL,
	"limit_price" bigint,
	"trigger_price" bigint,
	"reduce_only" boolean NOT NULL,
	"nonce" bigint NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "positions" (
	"account" text NOT NULL,
	"market_index" integer NOT NULL,
	"wallet" text NOT NULL,
	"base_amount" bigint NOT NULL,
	"quote_entry" bigint NOT NULL,
	"last_funding_index" numeric(39, 0) NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "positions_account_market_index_pk" PRIMARY KEY("account","market_index")
);
--> statement-breakpoint
CREATE TABLE "wallets" (
	"address" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "withdrawals" (
	"id" text PRIMARY KEY NOT NULL,
	"account" text NOT NULL,
	"wallet" text NOT NULL,
	"amount" bigint NOT NULL,
	"status" text NOT NULL,
	"signature" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_wallet_wallets_address_fk" FOREIGN KEY ("wallet") REFERENCES "public"."wallets"("address") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_account_accounts_address_fk" FOREIGN KEY ("account") REFERENCES "public"."accounts"("address") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_wallet_sub_idx" ON "accounts" USING btree ("wallet","sub_account_id");--> statement-breakpoint
CREATE INDEX "deposits_account_time_idx" ON "deposits" USING btree ("account","created_at");--> statement-breakpoint
CREATE INDEX "fills_account_time_idx" ON "fills" USING btree ("account","filled_at");--> statement-breakpoint
CREATE INDEX "oracle_prices_time_brin" ON "oracle_prices" USING brin ("published_at");--> statement-breakpoint
CREATE INDEX "orders_account_status_idx" ON "orders" USING btree ("account","status");--> statement-breakpoint
CREATE INDEX "withdrawals_account_status_idx" ON "withdrawals" USING btree ("account","status");