ALTER TABLE "assessments" ALTER COLUMN "resolved" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "callback_valid" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "contacted" boolean;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "claimed_contacted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "claimed_resolved" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "reported" boolean;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "exemption_status" text;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "exemption_request_reason" text;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "exemption_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "exemption_decision_reason" text;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "exemption_decided_at" timestamp with time zone;--> statement-breakpoint
-- Rows written before: what the callback established and what the lead claimed, from the case record.
UPDATE "assessments" AS a SET
  "callback_valid" = v."valid",
  "contacted" = CASE WHEN v."valid" THEN (p."callback"->>'contacted')::boolean END,
  "resolved" = CASE WHEN v."valid" THEN (p."callback"->>'resolved')::boolean END,
  "claimed_contacted" = a."role" = 'lead' AND coalesce(p."final_case"->>'firstContactAt', '') <> '',
  "claimed_resolved" = a."role" = 'lead' AND coalesce(p."result"->>'outcome', '') = 'resolved'
FROM "appeals" AS p
CROSS JOIN LATERAL (
  SELECT coalesce(p."callback"->>'reached', '') = 'true'
    AND coalesce(p."callback"->>'contacted', '') <> ''
    AND coalesce(p."callback"->>'resolved', '') <> ''
    AND coalesce(p."callback"->>'satisfaction', '') <> '' AS "valid"
) AS v
WHERE p."id" = a."appeal_id";
