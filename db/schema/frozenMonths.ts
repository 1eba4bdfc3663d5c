import { sql } from 'drizzle-orm';
import { check, index, integer, numeric, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A month whose rankings are published (Art. 25): frozen once by `monthlyAssessmentWorkflow` and
 * never changed after. From then on an assessment row closed in that month counts in the next
 * month not frozen (`assessments.assessment_month`).
 */
export const frozenMonths = pgTable(
  'frozen_months',
  {
    /** `YYYY-MM`, a Beijing calendar month. */
    month: text('month').primaryKey(),
    frozenAt: instant('frozen_at').notNull().defaultNow(),
    /** The execution that froze it (a Schedule's run, or a manual start). */
    workflowId: text('workflow_id').notNull(),
    runId: text('run_id').notNull(),
  },
  (t) => [check('frozen_months_month_check', sql`${t.month} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`)],
);

const rate = (name: string) => numeric(name, { precision: 5, scale: 4 });

/**
 * The published ranking of a frozen month: one row per unit of each level, as `monthRanking`
 * computed it when the month was frozen (name and kind as the directory had them then).
 */
export const frozenRankings = pgTable(
  'frozen_rankings',
  {
    month: text('month')
      .notNull()
      .references(() => frozenMonths.month),
    level: text('level').notNull(),
    unitId: text('unit_id').notNull(),
    name: text('name').notNull(),
    kind: text('kind').notNull(),
    rows: integer('rows').notNull(),
    exempt: integer('exempt').notNull(),
    invalidCallbacks: integer('invalid_callbacks').notNull(),
    valid: integer('valid').notNull(),
    contacted: integer('contacted').notNull(),
    resolved: integer('resolved').notNull(),
    satisfied: integer('satisfied').notNull(),
    basicallySatisfied: integer('basically_satisfied').notNull(),
    response: rate('response'),
    resolution: rate('resolution'),
    satisfaction: rate('satisfaction'),
    composite: rate('composite'),
    /** The `assessment_weights` version the composite used; null when none was in force. */
    weightsVersion: integer('weights_version'),
    rank: integer('rank'),
    previousRank: integer('previous_rank'),
    rankChange: integer('rank_change'),
  },
  (t) => [
    primaryKey({ columns: [t.month, t.level, t.unitId] }),
    index('frozen_rankings_unit_idx').on(t.unitId, t.month),
  ],
);

export type FrozenMonth = typeof frozenMonths.$inferSelect;
export type FrozenRanking = typeof frozenRankings.$inferSelect;

/**
 * The month's counts per unit, kept by the database as assessment rows are written, changed or
 * removed (trigger `assessments_count`, migration 0010): what the live ranking of a month reads,
 * a few hundred rows per level instead of every assessment of the month. Same counts as COUNTS in
 * db/queries/rates.ts over the month's rows.
 */
export const assessmentCounts = pgTable(
  'assessment_counts',
  {
    month: text('month').notNull(),
    unitId: text('unit_id').notNull(),
    rows: integer('rows').notNull().default(0),
    exempt: integer('exempt').notNull().default(0),
    invalidCallbacks: integer('invalid_callbacks').notNull().default(0),
    valid: integer('valid').notNull().default(0),
    contacted: integer('contacted').notNull().default(0),
    resolved: integer('resolved').notNull().default(0),
    satisfied: integer('satisfied').notNull().default(0),
    basicallySatisfied: integer('basically_satisfied').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.month, t.unitId] })],
);
