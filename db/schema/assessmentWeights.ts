import { sql } from 'drizzle-orm';
import { check, date, integer, numeric, pgTable, text } from 'drizzle-orm/pg-core';

/**
 * Weights of the monthly composite (Art. 25), versioned like the deadline policies: the version
 * in force on a (Beijing) date is the one with valid_from <= date < valid_to. A month is scored
 * with the version in force on its first day, so a version in force is never edited: a change is
 * a new version. Loaded from db/seed/data/assessmentWeights.json.
 */
export const assessmentWeights = pgTable(
  'assessment_weights',
  {
    version: integer('version').primaryKey(),
    validFrom: date('valid_from', { mode: 'string' }).notNull(),
    validTo: date('valid_to', { mode: 'string' }),
    response: numeric('response_weight', { precision: 4, scale: 3 }).notNull(),
    resolution: numeric('resolution_weight', { precision: 4, scale: 3 }).notNull(),
    satisfaction: numeric('satisfaction_weight', { precision: 4, scale: 3 }).notNull(),
    description: text('description').notNull(),
  },
  (t) => [
    check('assessment_weights_version_check', sql`${t.version} > 0`),
    check('assessment_weights_validity_check', sql`${t.validTo} is null or ${t.validTo} > ${t.validFrom}`),
    check(
      'assessment_weights_range_check',
      sql`${t.response} between 0 and 1 and ${t.resolution} between 0 and 1 and ${t.satisfaction} between 0 and 1`,
    ),
    check('assessment_weights_sum_check', sql`${t.response} + ${t.resolution} + ${t.satisfaction} = 1`),
  ],
);

export type AssessmentWeights = typeof assessmentWeights.$inferSelect;
export type NewAssessmentWeights = typeof assessmentWeights.$inferInsert;
