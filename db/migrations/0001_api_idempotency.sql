CREATE TABLE "idempotency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"request_hash" text NOT NULL,
	"appeal_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
