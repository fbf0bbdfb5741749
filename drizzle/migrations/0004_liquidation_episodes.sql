ALTER TABLE "liquidations" ADD COLUMN "steps" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "liquidations" ADD COLUMN "liquidation_seq" bigint;