CREATE TABLE "workflow_runs" (
	"business_key" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"run_id" text NOT NULL,
	"kind" text NOT NULL,
	"account" text,
	"market" text,
	"status" text NOT NULL,
	"step" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "workflow_runs_account_idx" ON "workflow_runs" USING btree ("account","updated_at");--> statement-breakpoint
CREATE INDEX "workflow_runs_kind_status_idx" ON "workflow_runs" USING btree ("kind","status");