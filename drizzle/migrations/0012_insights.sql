CREATE TABLE "insights" (
	"id" text PRIMARY KEY NOT NULL,
	"market" text NOT NULL,
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"summary" text NOT NULL,
	"value" double precision NOT NULL,
	"workings" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "insights_market_time_idx" ON "insights" USING btree ("market","at");