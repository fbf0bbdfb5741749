ALTER TABLE "orders" ADD COLUMN "changed_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL;--> statement-breakpoint
CREATE INDEX "orders_changed_idx" ON "orders" USING btree ("changed_at");--> statement-breakpoint
CREATE INDEX "orders_open_idx" ON "orders" USING btree ("market_index") WHERE "orders"."status" = 'open';