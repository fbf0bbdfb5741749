CREATE TABLE "account_balances" (
	"account" text PRIMARY KEY NOT NULL,
	"wallet" text NOT NULL,
	"collateral" bigint NOT NULL,
	"unsettled_pnl" bigint NOT NULL,
	"slot" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconciliation_reports" (
	"id" text PRIMARY KEY NOT NULL,
	"slot" bigint NOT NULL,
	"accounts_checked" integer NOT NULL,
	"differences" integer NOT NULL,
	"report" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "reconciliation_reports_time_idx" ON "reconciliation_reports" USING btree ("created_at");--> statement-breakpoint
-- A wallet's session sees its own sub-accounts' balances; reconciliation reports are for operators only (owner role).
GRANT SELECT ON account_balances TO quantdesk_reader;--> statement-breakpoint
ALTER TABLE account_balances ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY wallet_isolation ON account_balances FOR SELECT TO quantdesk_reader USING (wallet = current_setting('qd.wallet', true));
