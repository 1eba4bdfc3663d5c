ALTER TABLE "read_audit" ALTER COLUMN "appeal_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "read_audit" ADD COLUMN "workflow_id" text;