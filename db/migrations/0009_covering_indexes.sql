CREATE INDEX "accountability_unit_at_idx" ON "accountability_records" USING btree ("unit_id","at");--> statement-breakpoint
-- Covering indexes drizzle-kit cannot spell: a month's assessment counts per unit and a month's
-- hot spots are read from the index alone (index-only scans), not from the table's rows.
DROP INDEX "assessments_month_unit_idx";--> statement-breakpoint
CREATE INDEX "assessments_month_unit_idx" ON "assessments" USING btree ("assessment_month","unit_id")
  INCLUDE ("exempt","callback_valid","contacted","resolved","satisfaction");--> statement-breakpoint
CREATE INDEX "appeals_received_hot_idx" ON "appeals" USING btree ("received_at")
  INCLUDE ("category_code","street_id","address");
