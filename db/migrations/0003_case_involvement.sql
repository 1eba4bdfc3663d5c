ALTER TABLE "appeals" ADD COLUMN "involved_unit_ids" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "appeals" ADD COLUMN "next_actor" text;--> statement-breakpoint
ALTER TABLE "appeals" ADD COLUMN "waiting_since" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "appeals_involved_units_idx" ON "appeals" USING gin ("involved_unit_ids");--> statement-breakpoint
CREATE INDEX "appeals_next_actor_idx" ON "appeals" USING btree ("next_actor","due_at");--> statement-breakpoint
-- Records written before these columns: the units known then (lead and co-handlers); who waits is
-- unknown until the case's next step.
UPDATE "appeals" SET "involved_unit_ids" = array_remove(array_prepend("lead_unit_id", "co_handler_ids"), NULL) WHERE "involved_unit_ids" = '{}';
