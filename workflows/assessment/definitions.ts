/**
 * The monthly assessment (Art. 25): names the API, the scripts and the tests share with the
 * workflow, without pulling in workflow code.
 */
export type { FreezeOutcome } from '../../domain/months.js';

/** The Schedule that runs `monthlyAssessmentWorkflow` on the 1st of each month (scripts/lib/schedules.ts). */
export const MONTHLY_ASSESSMENT_SCHEDULE_ID = 'monthly-assessment';

/** A manual freeze of one month (`POST /v1/rankings/:month/freeze`): one execution per month at a time. */
export const monthlyAssessmentWorkflowId = (month: string): string => `monthly-assessment-${month}`;

export interface MonthlyAssessmentInput {
  /**
   * `YYYY-MM`, the Beijing month to freeze. Omitted (a Schedule's run): the month before the one
   * the run was scheduled in.
   */
  month?: string;
}
