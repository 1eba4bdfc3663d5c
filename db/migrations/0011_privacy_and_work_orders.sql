CREATE TABLE "notification_endpoints" (
	"audience" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "read_audit" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "read_audit_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"key_name" text NOT NULL,
	"role" text NOT NULL,
	"unit_id" text,
	"appeal_id" text NOT NULL,
	"fields" text[] NOT NULL,
	"route" text NOT NULL,
	"request_id" text
);
--> statement-breakpoint
CREATE TABLE "work_order_days" (
	"day" text PRIMARY KEY NOT NULL,
	"last_no" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "appeals" ADD COLUMN "work_order_no" text;--> statement-breakpoint
ALTER TABLE "appeals" ADD COLUMN "attachments" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "appeals" ADD COLUMN "anonymised_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "audience" text DEFAULT 'unit' NOT NULL;--> statement-breakpoint
CREATE INDEX "read_audit_appeal_idx" ON "read_audit" USING btree ("appeal_id","at");--> statement-breakpoint
CREATE INDEX "read_audit_key_idx" ON "read_audit" USING btree ("key_name","at");--> statement-breakpoint
CREATE INDEX "read_audit_at_idx" ON "read_audit" USING btree ("at");--> statement-breakpoint
CREATE UNIQUE INDEX "appeals_work_order_no_idx" ON "appeals" USING btree ("work_order_no");--> statement-breakpoint
CREATE INDEX "appeals_anonymise_idx" ON "appeals" USING btree ("closed_at") WHERE "appeals"."anonymised_at" is null;--> statement-breakpoint
-- Who read what is append-only: the service can add to it, never change or remove a row.
CREATE FUNCTION read_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'read_audit is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER read_audit_append_only BEFORE UPDATE OR DELETE ON "read_audit"
  FOR EACH ROW EXECUTE FUNCTION read_audit_append_only();--> statement-breakpoint
CREATE TRIGGER read_audit_no_truncate BEFORE TRUNCATE ON "read_audit"
  FOR EACH STATEMENT EXECUTE FUNCTION read_audit_append_only();
