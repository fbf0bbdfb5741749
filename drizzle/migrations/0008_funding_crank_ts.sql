ALTER TABLE "funding_rates" ADD COLUMN "crank_ts" bigint;--> statement-breakpoint
CREATE INDEX "funding_rates_crank_idx" ON "funding_rates" USING btree ("market_index","crank_ts");