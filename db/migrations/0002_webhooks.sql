CREATE TABLE "unit_webhooks" (
	"unit_id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"delivery_id" text PRIMARY KEY NOT NULL,
	"appeal_id" text NOT NULL,
	"unit_id" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"payload" jsonb NOT NULL,
	"delivered_at" timestamp with time zone,
	"dead_lettered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_status_check" CHECK ("webhook_deliveries"."status" in ('delivered', 'dead_letter'))
);
--> statement-breakpoint
CREATE INDEX "webhook_deliveries_dead_letter_unit_idx" ON "webhook_deliveries" USING btree ("unit_id","dead_lettered_at" DESC NULLS LAST) WHERE "webhook_deliveries"."status" = 'dead_letter';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_dead_letter_at_idx" ON "webhook_deliveries" USING btree ("dead_lettered_at" DESC NULLS LAST) WHERE "webhook_deliveries"."status" = 'dead_letter';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_appeal_idx" ON "webhook_deliveries" USING btree ("appeal_id");