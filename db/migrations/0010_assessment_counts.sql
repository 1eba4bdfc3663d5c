CREATE TABLE "assessment_counts" (
	"month" text NOT NULL,
	"unit_id" text NOT NULL,
	"rows" integer DEFAULT 0 NOT NULL,
	"exempt" integer DEFAULT 0 NOT NULL,
	"invalid_callbacks" integer DEFAULT 0 NOT NULL,
	"valid" integer DEFAULT 0 NOT NULL,
	"contacted" integer DEFAULT 0 NOT NULL,
	"resolved" integer DEFAULT 0 NOT NULL,
	"satisfied" integer DEFAULT 0 NOT NULL,
	"basically_satisfied" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "assessment_counts_month_unit_id_pk" PRIMARY KEY("month","unit_id")
);
--> statement-breakpoint
-- One row's share of its month's counts (+1 or -1 on each count it falls in), as COUNTS in
-- db/queries/rates.ts counts it.
CREATE FUNCTION "assessment_counts_add"(r "assessments", sign int) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "assessment_counts" AS c ("month", "unit_id", "rows", "exempt", "invalid_callbacks", "valid",
    "contacted", "resolved", "satisfied", "basically_satisfied")
  VALUES (r."assessment_month", r."unit_id", sign,
    sign * (r."exempt")::int,
    sign * (not r."exempt" and not r."callback_valid")::int,
    sign * (not r."exempt" and r."callback_valid")::int,
    sign * (not r."exempt" and r."callback_valid" and coalesce(r."contacted", false))::int,
    sign * (not r."exempt" and r."callback_valid" and coalesce(r."resolved", false))::int,
    sign * (not r."exempt" and r."callback_valid" and coalesce(r."satisfaction" = 'satisfied', false))::int,
    sign * (not r."exempt" and r."callback_valid" and coalesce(r."satisfaction" = 'basically_satisfied', false))::int)
  ON CONFLICT ("month", "unit_id") DO UPDATE SET
    "rows" = c."rows" + excluded."rows",
    "exempt" = c."exempt" + excluded."exempt",
    "invalid_callbacks" = c."invalid_callbacks" + excluded."invalid_callbacks",
    "valid" = c."valid" + excluded."valid",
    "contacted" = c."contacted" + excluded."contacted",
    "resolved" = c."resolved" + excluded."resolved",
    "satisfied" = c."satisfied" + excluded."satisfied",
    "basically_satisfied" = c."basically_satisfied" + excluded."basically_satisfied";
$$;--> statement-breakpoint
-- In the writer's transaction, after the month is assigned (assessments_assign_month): the
-- counts change exactly when the rows do, and a freeze (which waits for writers) reads both alike.
CREATE FUNCTION "assessments_count"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (OLD."assessment_month", OLD."unit_id", OLD."exempt", OLD."callback_valid", OLD."contacted",
      OLD."resolved", OLD."satisfaction") IS NOT DISTINCT FROM (NEW."assessment_month", NEW."unit_id", NEW."exempt",
      NEW."callback_valid", NEW."contacted", NEW."resolved", NEW."satisfaction") THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM "assessment_counts_add"(OLD, -1); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM "assessment_counts_add"(NEW, 1); END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "assessments_count" AFTER INSERT OR UPDATE OR DELETE ON "assessments"
  FOR EACH ROW EXECUTE FUNCTION "assessments_count"();--> statement-breakpoint
INSERT INTO "assessment_counts" ("month", "unit_id", "rows", "exempt", "invalid_callbacks", "valid", "contacted",
  "resolved", "satisfied", "basically_satisfied")
SELECT "assessment_month", "unit_id", count(*),
  count(*) FILTER (WHERE "exempt"),
  count(*) FILTER (WHERE not "exempt" and not "callback_valid"),
  count(*) FILTER (WHERE not "exempt" and "callback_valid"),
  count(*) FILTER (WHERE not "exempt" and "callback_valid" and "contacted"),
  count(*) FILTER (WHERE not "exempt" and "callback_valid" and "resolved"),
  count(*) FILTER (WHERE not "exempt" and "callback_valid" and "satisfaction" = 'satisfied'),
  count(*) FILTER (WHERE not "exempt" and "callback_valid" and "satisfaction" = 'basically_satisfied')
FROM "assessments" GROUP BY "assessment_month", "unit_id";
