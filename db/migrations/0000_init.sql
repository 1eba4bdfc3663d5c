CREATE TABLE "accountability_records" (
	"appeal_id" text NOT NULL,
	"step_key" text NOT NULL,
	"unit_id" text NOT NULL,
	"kind" text NOT NULL,
	"detail" text,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "accountability_records_appeal_id_step_key_pk" PRIMARY KEY("appeal_id","step_key")
);
--> statement-breakpoint
CREATE TABLE "appeals" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"channel" text NOT NULL,
	"appeal_type" text NOT NULL,
	"category_code" text NOT NULL,
	"district_id" text,
	"street_id" text,
	"address" text,
	"content" text NOT NULL,
	"requester_name" text,
	"requester_phone" text,
	"stability_risk" boolean DEFAULT false NOT NULL,
	"stage" text NOT NULL,
	"lead_unit_id" text,
	"co_handler_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"deadlines" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"due_at" timestamp with time zone,
	"overdue" boolean DEFAULT false NOT NULL,
	"escalation_level" integer DEFAULT 0 NOT NULL,
	"policy_code" text,
	"policy_version" integer,
	"disposition" text,
	"result" jsonb,
	"callback" jsonb,
	"original_appeal_id" text,
	"last_seq" integer DEFAULT 0 NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "assessments" (
	"appeal_id" text NOT NULL,
	"unit_id" text NOT NULL,
	"role" text NOT NULL,
	"responded" boolean NOT NULL,
	"resolved" boolean NOT NULL,
	"satisfaction" text,
	"exempt" boolean DEFAULT false NOT NULL,
	"exempt_reason" text,
	"closed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "assessments_appeal_id_unit_id_pk" PRIMARY KEY("appeal_id","unit_id")
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"appeal_id" text NOT NULL,
	"seq" integer NOT NULL,
	"step_key" text NOT NULL,
	"type" text NOT NULL,
	"actor" text NOT NULL,
	"reason" text,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "audit_events_appeal_id_seq_pk" PRIMARY KEY("appeal_id","seq")
);
--> statement-breakpoint
ALTER TABLE "accountability_records" ADD CONSTRAINT "accountability_records_appeal_id_appeals_id_fk" FOREIGN KEY ("appeal_id") REFERENCES "public"."appeals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessments" ADD CONSTRAINT "assessments_appeal_id_appeals_id_fk" FOREIGN KEY ("appeal_id") REFERENCES "public"."appeals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_appeal_id_appeals_id_fk" FOREIGN KEY ("appeal_id") REFERENCES "public"."appeals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "accountability_unit_idx" ON "accountability_records" USING btree ("unit_id","kind","at");--> statement-breakpoint
CREATE INDEX "appeals_stage_due_idx" ON "appeals" USING btree ("stage","due_at");--> statement-breakpoint
CREATE INDEX "appeals_lead_unit_idx" ON "appeals" USING btree ("lead_unit_id","stage");--> statement-breakpoint
CREATE INDEX "appeals_district_street_idx" ON "appeals" USING btree ("district_id","street_id");--> statement-breakpoint
CREATE INDEX "appeals_received_idx" ON "appeals" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "appeals_duplicate_idx" ON "appeals" USING btree ("requester_phone","category_code","street_id","received_at");--> statement-breakpoint
CREATE INDEX "assessments_unit_closed_idx" ON "assessments" USING btree ("unit_id","closed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_step_key_idx" ON "audit_events" USING btree ("appeal_id","step_key");--> statement-breakpoint
CREATE INDEX "audit_events_type_at_idx" ON "audit_events" USING btree ("type","at");