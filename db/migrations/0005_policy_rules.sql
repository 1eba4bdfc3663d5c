ALTER TABLE "accountability_records" ADD COLUMN "audit_step_key" text;--> statement-breakpoint
ALTER TABLE "appeals" ADD COLUMN "pending_actors" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "deadline_policies" ADD COLUMN "warning_fractions" double precision[] DEFAULT '{0.5,0.75}'::double precision[] NOT NULL;--> statement-breakpoint
ALTER TABLE "deadline_policies" ADD COLUMN "rehandling_cap" integer DEFAULT 2 NOT NULL;--> statement-breakpoint
ALTER TABLE "deadline_policies" ADD COLUMN "co_handler_margin_hours" double precision DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "deadline_policies" ADD COLUMN "co_handler_when_short" text DEFAULT 'main_deadline' NOT NULL;--> statement-breakpoint
ALTER TABLE "deadline_policies" ADD COLUMN "reminder_limits" integer[] DEFAULT '{2,1,1}'::integer[] NOT NULL;--> statement-breakpoint
ALTER TABLE "deadline_policies" ADD COLUMN "duplicate_window_days" integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE "deadline_policies" ADD COLUMN "city_escalation_unit_id" text DEFAULT 'city-joint-office' NOT NULL;--> statement-breakpoint
CREATE INDEX "appeals_pending_actors_idx" ON "appeals" USING gin ("pending_actors");--> statement-breakpoint
ALTER TABLE "deadline_policies" ADD CONSTRAINT "deadline_policies_warning_fractions_check" CHECK (0 < all("deadline_policies"."warning_fractions") and 1 > all("deadline_policies"."warning_fractions"));--> statement-breakpoint
ALTER TABLE "deadline_policies" ADD CONSTRAINT "deadline_policies_rules_check" CHECK ("deadline_policies"."rehandling_cap" >= 0 and "deadline_policies"."co_handler_margin_hours" >= 0 and "deadline_policies"."duplicate_window_days" >= 1
        and cardinality("deadline_policies"."reminder_limits") >= 1 and 0 <= all("deadline_policies"."reminder_limits"));--> statement-breakpoint
ALTER TABLE "deadline_policies" ADD CONSTRAINT "deadline_policies_co_handler_when_short_check" CHECK ("deadline_policies"."co_handler_when_short" in ('main_deadline', 'co_handler_window'));