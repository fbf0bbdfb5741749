-- Rows written before signatures were unique: a signed transaction sent under two request IDs settled twice; the later rows are marked duplicate.
UPDATE "withdrawals" AS w SET "status" = 'duplicate' WHERE w."signature" IS NOT NULL AND EXISTS (SELECT 1 FROM "withdrawals" AS o WHERE o."signature" = w."signature" AND o."id" < w."id");--> statement-breakpoint
CREATE UNIQUE INDEX "withdrawals_signature_idx" ON "withdrawals" USING btree ("signature") WHERE "withdrawals"."status" <> 'duplicate';
