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
CREATE TABLE "categories" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"parent" text,
	"utility" text,
	"fallback_note" text
);
--> statement-breakpoint
CREATE TABLE "deadline_policies" (
	"code" text NOT NULL,
	"version" integer NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"appeal_types" text[],
	"description" text NOT NULL,
	"windows" jsonb NOT NULL,
	"acceptance_reminder_limit" integer NOT NULL,
	"callback_max_attempts" integer NOT NULL,
	"escalation_levels" integer NOT NULL,
	"callback_on_result" boolean NOT NULL,
	CONSTRAINT "deadline_policies_code_version_pk" PRIMARY KEY("code","version"),
	CONSTRAINT "deadline_policies_version_check" CHECK ("deadline_policies"."version" > 0),
	CONSTRAINT "deadline_policies_validity_check" CHECK ("deadline_policies"."valid_to" is null or "deadline_policies"."valid_to" > "deadline_policies"."valid_from"),
	CONSTRAINT "deadline_policies_limits_check" CHECK ("deadline_policies"."acceptance_reminder_limit" >= 0 and "deadline_policies"."callback_max_attempts" >= 1 and "deadline_policies"."escalation_levels" >= 1)
);
--> statement-breakpoint
CREATE TABLE "dispatch_catalogue" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "dispatch_catalogue_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"category_code" text NOT NULL,
	"scope" text NOT NULL,
	"district_id" text,
	"street_id" text,
	"unit_id" text,
	"unit_kind" text,
	"policy_code" text NOT NULL,
	CONSTRAINT "dispatch_catalogue_entry_key" UNIQUE NULLS NOT DISTINCT("category_code","scope","district_id","street_id"),
	CONSTRAINT "dispatch_catalogue_target_check" CHECK (("dispatch_catalogue"."unit_id" is null) <> ("dispatch_catalogue"."unit_kind" is null)),
	CONSTRAINT "dispatch_catalogue_unit_kind_check" CHECK ("dispatch_catalogue"."unit_kind" in ('street_of_location', 'district_government')),
	CONSTRAINT "dispatch_catalogue_scope_check" CHECK (("dispatch_catalogue"."scope" = 'city' and "dispatch_catalogue"."district_id" is null and "dispatch_catalogue"."street_id" is null)
        or ("dispatch_catalogue"."scope" = 'district' and "dispatch_catalogue"."district_id" is not null and "dispatch_catalogue"."street_id" is null)
        or ("dispatch_catalogue"."scope" = 'street' and "dispatch_catalogue"."district_id" is not null and "dispatch_catalogue"."street_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "districts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"name_en" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "streets" (
	"id" text PRIMARY KEY NOT NULL,
	"district_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	CONSTRAINT "streets_kind_check" CHECK ("streets"."kind" in ('street', 'township'))
);
--> statement-breakpoint
CREATE TABLE "units" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"district_id" text,
	"service" text,
	"sectors" text[] DEFAULT '{}'::text[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge_base" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"question" text NOT NULL,
	"answer" text NOT NULL,
	"keywords" text[] DEFAULT '{}'::text[] NOT NULL,
	"category_code" text,
	"search_terms" text[] NOT NULL
);
--> statement-breakpoint
ALTER TABLE "accountability_records" ADD CONSTRAINT "accountability_records_appeal_id_appeals_id_fk" FOREIGN KEY ("appeal_id") REFERENCES "public"."appeals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessments" ADD CONSTRAINT "assessments_appeal_id_appeals_id_fk" FOREIGN KEY ("appeal_id") REFERENCES "public"."appeals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_appeal_id_appeals_id_fk" FOREIGN KEY ("appeal_id") REFERENCES "public"."appeals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "categories" ADD CONSTRAINT "categories_parent_categories_code_fk" FOREIGN KEY ("parent") REFERENCES "public"."categories"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dispatch_catalogue" ADD CONSTRAINT "dispatch_catalogue_category_code_categories_code_fk" FOREIGN KEY ("category_code") REFERENCES "public"."categories"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dispatch_catalogue" ADD CONSTRAINT "dispatch_catalogue_district_id_districts_id_fk" FOREIGN KEY ("district_id") REFERENCES "public"."districts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dispatch_catalogue" ADD CONSTRAINT "dispatch_catalogue_street_id_streets_id_fk" FOREIGN KEY ("street_id") REFERENCES "public"."streets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dispatch_catalogue" ADD CONSTRAINT "dispatch_catalogue_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "streets" ADD CONSTRAINT "streets_district_id_districts_id_fk" FOREIGN KEY ("district_id") REFERENCES "public"."districts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "units" ADD CONSTRAINT "units_district_id_districts_id_fk" FOREIGN KEY ("district_id") REFERENCES "public"."districts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_base" ADD CONSTRAINT "knowledge_base_category_code_categories_code_fk" FOREIGN KEY ("category_code") REFERENCES "public"."categories"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "accountability_unit_idx" ON "accountability_records" USING btree ("unit_id","kind","at");--> statement-breakpoint
CREATE INDEX "appeals_stage_due_idx" ON "appeals" USING btree ("stage","due_at");--> statement-breakpoint
CREATE INDEX "appeals_lead_unit_idx" ON "appeals" USING btree ("lead_unit_id","stage");--> statement-breakpoint
CREATE INDEX "appeals_district_street_idx" ON "appeals" USING btree ("district_id","street_id");--> statement-breakpoint
CREATE INDEX "appeals_received_idx" ON "appeals" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "appeals_duplicate_idx" ON "appeals" USING btree ("requester_phone","category_code","street_id","received_at");--> statement-breakpoint
CREATE INDEX "assessments_unit_closed_idx" ON "assessments" USING btree ("unit_id","closed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_step_key_idx" ON "audit_events" USING btree ("appeal_id","step_key");--> statement-breakpoint
CREATE INDEX "audit_events_type_at_idx" ON "audit_events" USING btree ("type","at");--> statement-breakpoint
CREATE INDEX "categories_parent_idx" ON "categories" USING btree ("parent");--> statement-breakpoint
CREATE INDEX "deadline_policies_validity_idx" ON "deadline_policies" USING btree ("code","valid_from");--> statement-breakpoint
CREATE INDEX "deadline_policies_appeal_types_idx" ON "deadline_policies" USING gin ("appeal_types");--> statement-breakpoint
CREATE INDEX "dispatch_catalogue_policy_idx" ON "dispatch_catalogue" USING btree ("policy_code");--> statement-breakpoint
CREATE INDEX "streets_district_idx" ON "streets" USING btree ("district_id");--> statement-breakpoint
CREATE INDEX "units_kind_district_idx" ON "units" USING btree ("kind","district_id");--> statement-breakpoint
CREATE UNIQUE INDEX "units_district_government_idx" ON "units" USING btree ("district_id") WHERE "units"."kind" = 'district_government';--> statement-breakpoint
CREATE INDEX "units_sectors_idx" ON "units" USING gin ("sectors");--> statement-breakpoint
CREATE INDEX "knowledge_base_search_terms_idx" ON "knowledge_base" USING gin ("search_terms");--> statement-breakpoint
CREATE INDEX "knowledge_base_category_idx" ON "knowledge_base" USING btree ("category_code");