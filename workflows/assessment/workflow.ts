/**
 * Freezes a month's rankings (Art. 25). The Schedule `monthly-assessment` runs it at 00:30 Beijing
 * time on the 1st of each month without input: it freezes the month before the one the run was
 * scheduled in. Which month that is comes from the run's `TemporalScheduledStartTime` search
 * attribute (set by the Schedule on the start event, so replay sees the same value), or from its
 * start time when it was started by hand; a catch-up run days late still freezes the month its
 * slot was for. Freezing is one idempotent activity: a second run for the same month changes
 * nothing and answers when the month was frozen.
 */
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { addMonths, beijingMonthOf, isMonth, type FreezeOutcome } from '../../domain/months.js';
import type { MonthlyAssessmentInput } from './definitions.js';

const { freezeAssessmentMonth } = wf.proxyActivities<Pick<Activities, 'freezeAssessmentMonth'>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['MonthNotOver'] },
});

/** The time the Schedule meant this run for; undefined for a run started by hand. */
function scheduledStartTime(info: wf.WorkflowInfo): Date | undefined {
  const typed = info.typedSearchAttributes.getAll().find((pair) => pair.key.name === 'TemporalScheduledStartTime');
  const value = typed?.value ?? info.searchAttributes?.TemporalScheduledStartTime?.[0];
  if (value === undefined) return undefined;
  const at = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(at.getTime()) ? undefined : at;
}

export async function monthlyAssessmentWorkflow(input: MonthlyAssessmentInput = {}): Promise<FreezeOutcome> {
  const info = wf.workflowInfo();
  const month = input.month ?? addMonths(beijingMonthOf(scheduledStartTime(info) ?? info.startTime), -1);
  if (!isMonth(month))
    throw wf.ApplicationFailure.nonRetryable(`month must be YYYY-MM, got '${month}'`, 'InvalidMonth');
  const outcome = await freezeAssessmentMonth({
    month,
    workflowId: info.workflowId,
    runId: info.runId,
    asOf: new Date().toISOString(),
  });
  wf.log.info(outcome.frozenNow ? `month ${month} frozen` : `month ${month} already frozen at ${outcome.frozenAt}`, {
    month,
    rows: outcome.rows,
  });
  return outcome;
}
