CREATE TABLE "ops_alerts" (
	"fingerprint" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"name" text NOT NULL,
	"severity" text NOT NULL,
	"status" text NOT NULL,
	"labels" jsonb NOT NULL,
	"annotations" jsonb NOT NULL,
	"ends_at" timestamp with time zone,
	"acknowledged_by" text,
	"acknowledged_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ops_alerts_fingerprint_starts_at_pk" PRIMARY KEY("fingerprint","starts_at")
);
--> statement-breakpoint
CREATE INDEX "ops_alerts_time_idx" ON "ops_alerts" USING btree ("updated_at");