CREATE TABLE "assessment_weights" (
	"version" integer PRIMARY KEY NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"response_weight" numeric(4, 3) NOT NULL,
	"resolution_weight" numeric(4, 3) NOT NULL,
	"satisfaction_weight" numeric(4, 3) NOT NULL,
	"description" text NOT NULL,
	CONSTRAINT "assessment_weights_version_check" CHECK ("assessment_weights"."version" > 0),
	CONSTRAINT "assessment_weights_validity_check" CHECK ("assessment_weights"."valid_to" is null or "assessment_weights"."valid_to" > "assessment_weights"."valid_from"),
	CONSTRAINT "assessment_weights_range_check" CHECK ("assessment_weights"."response_weight" between 0 and 1 and "assessment_weights"."resolution_weight" between 0 and 1 and "assessment_weights"."satisfaction_weight" between 0 and 1),
	CONSTRAINT "assessment_weights_sum_check" CHECK ("assessment_weights"."response_weight" + "assessment_weights"."resolution_weight" + "assessment_weights"."satisfaction_weight" = 1)
);
