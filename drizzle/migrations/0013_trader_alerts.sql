CREATE TABLE "alert_subscriptions" (
	"id" text PRIMARY KEY NOT NULL,
	"wallet" text NOT NULL,
	"account" text NOT NULL,
	"kind" text NOT NULL,
	"market_index" integer,
	"threshold_bps" integer,
	"firing" integer[] DEFAULT '{}' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "alert_subscriptions_key" UNIQUE NULLS NOT DISTINCT("account","kind","market_index","threshold_bps")
);
--> statement-breakpoint
CREATE TABLE "trader_alerts" (
	"id" text PRIMARY KEY NOT NULL,
	"subscription_id" text NOT NULL,
	"wallet" text NOT NULL,
	"account" text NOT NULL,
	"kind" text NOT NULL,
	"market" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"summary" text NOT NULL,
	"workings" jsonb NOT NULL,
	"published" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX "alert_subscriptions_wallet_idx" ON "alert_subscriptions" USING btree ("wallet");--> statement-breakpoint
CREATE INDEX "trader_alerts_account_time_idx" ON "trader_alerts" USING btree ("account","at");--> statement-breakpoint
CREATE INDEX "trader_alerts_unpublished_idx" ON "trader_alerts" USING btree ("at") WHERE not "trader_alerts"."published";--> statement-breakpoint
-- A wallet manages its own subscriptions (the API acts as the wallet: role quantdesk_reader with qd.wallet),
-- and reads its own alerts; MIKEY (the owner role) reads every subscription and writes the alerts.
GRANT SELECT, INSERT, DELETE ON alert_subscriptions TO quantdesk_reader;--> statement-breakpoint
GRANT SELECT ON trader_alerts TO quantdesk_reader;--> statement-breakpoint
ALTER TABLE alert_subscriptions ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE trader_alerts ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY wallet_isolation ON alert_subscriptions FOR ALL TO quantdesk_reader USING (wallet = current_setting('qd.wallet', true)) WITH CHECK (wallet = current_setting('qd.wallet', true));--> statement-breakpoint
CREATE POLICY wallet_isolation ON trader_alerts FOR SELECT TO quantdesk_reader USING (wallet = current_setting('qd.wallet', true));
