CREATE TABLE "frozen_months" (
	"month" text PRIMARY KEY NOT NULL,
	"frozen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"workflow_id" text NOT NULL,
	"run_id" text NOT NULL,
	CONSTRAINT "frozen_months_month_check" CHECK ("frozen_months"."month" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')
);
--> statement-breakpoint
CREATE TABLE "frozen_rankings" (
	"month" text NOT NULL,
	"level" text NOT NULL,
	"unit_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"rows" integer NOT NULL,
	"exempt" integer NOT NULL,
	"invalid_callbacks" integer NOT NULL,
	"valid" integer NOT NULL,
	"contacted" integer NOT NULL,
	"resolved" integer NOT NULL,
	"satisfied" integer NOT NULL,
	"basically_satisfied" integer NOT NULL,
	"response" numeric(5, 4),
	"resolution" numeric(5, 4),
	"satisfaction" numeric(5, 4),
	"composite" numeric(5, 4),
	"weights_version" integer,
	"rank" integer,
	"previous_rank" integer,
	"rank_change" integer,
	CONSTRAINT "frozen_rankings_month_level_unit_id_pk" PRIMARY KEY("month","level","unit_id")
);
--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "assessment_month" text;--> statement-breakpoint
-- Rows written before: no month is frozen yet, so each counts in the Beijing month of its close.
UPDATE "assessments" SET "assessment_month" = to_char("closed_at" AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM');--> statement-breakpoint
ALTER TABLE "assessments" ALTER COLUMN "assessment_month" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "frozen_rankings" ADD CONSTRAINT "frozen_rankings_month_frozen_months_month_fk" FOREIGN KEY ("month") REFERENCES "public"."frozen_months"("month") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "frozen_rankings_unit_idx" ON "frozen_rankings" USING btree ("unit_id","month");--> statement-breakpoint
CREATE INDEX "assessments_month_unit_idx" ON "assessments" USING btree ("assessment_month","unit_id");--> statement-breakpoint
-- The month a row counts in is the database's to assign, whatever the writer sent: the Beijing
-- month of closed_at, or the first month after it that is not frozen. Every insert holds this
-- lock shared until it commits and a freeze (`freezeMonth` in db/queries/rates.ts) holds it exclusively, so
-- a row is either counted in the frozen month's ranking or assigned to a later month, never lost
-- between the two. Plain statements of a plpgsql function see what committed before them (READ
-- COMMITTED), so the check after the lock sees a freeze that has just committed.
CREATE FUNCTION "assessments_assign_month"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  first_day date := date_trunc('month', NEW."closed_at" AT TIME ZONE 'Asia/Shanghai')::date;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtextextended('jiesu.assessment_month', 0));
  WHILE EXISTS (SELECT 1 FROM "frozen_months" WHERE "month" = to_char(first_day, 'YYYY-MM')) LOOP
    first_day := (first_day + interval '1 month')::date;
  END LOOP;
  NEW."assessment_month" := to_char(first_day, 'YYYY-MM');
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "assessments_assign_month" BEFORE INSERT ON "assessments"
  FOR EACH ROW EXECUTE FUNCTION "assessments_assign_month"();
