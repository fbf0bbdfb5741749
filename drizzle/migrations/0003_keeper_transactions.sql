CREATE TABLE "keeper_transactions" (
	"key" text PRIMARY KEY NOT NULL,
	"signature" text NOT NULL,
	"transaction" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
