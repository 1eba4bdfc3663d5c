/*
 * FROZEN: the co-handler child of cases started before the `every-party` patch (workflow type
 * `coHandlerWorkflow`). New cases start `coHandlingWorkflow`. Remove with workflows/appeal/legacy.
 */
/**
 * One co-handling unit's part of an appeal, as its own child workflow: a co-handler that is
 * stuck shows up in the Temporal UI under its own unit (`CoHandlerUnit`), with its deadline.
 */
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../../activities/index.js';
import { AppealId, AppealStage, CoHandlerUnit, DueAt, LeadUnit, NextActor, Overdue } from '../../searchAttributes.js';
import { NOTIFY_ACTIVITY_OPTIONS } from '../../../domain/notifications.js';
import { partyMessages } from '../../../domain/partyMessages.js';
import { coHandlerReportedSignal, type CoHandlerAssignment, type CoHandlerOutcome } from '../definitions.js';

const { notify } = wf.proxyActivities<Activities>(NOTIFY_ACTIVITY_OPTIONS);

export async function coHandlerWorkflow(assignment: CoHandlerAssignment): Promise<CoHandlerOutcome> {
  let report: { report: string; lateReason?: string } | undefined;
  wf.setHandler(coHandlerReportedSignal, (r) => {
    report = r;
  });

  const show = (overdue: boolean, waiting: boolean): void => {
    wf.upsertSearchAttributes([
      { key: AppealId, value: assignment.appealId },
      { key: AppealStage, value: waiting ? 'co_handling' : 'co_handling_done' },
      { key: CoHandlerUnit, value: assignment.unitId },
      { key: LeadUnit, value: assignment.leadUnitId },
      { key: DueAt, value: new Date(assignment.dueAt) },
      { key: Overdue, value: overdue },
      { key: NextActor, value: waiting ? `unit:${assignment.unitId}` : 'none' },
    ]);
    wf.setCurrentDetails(
      waiting
        ? `co-handler **${assignment.unitId}** owes its part to ${assignment.leadUnitId} by ${assignment.dueAt}${overdue ? ' — **OVERDUE**: reason and interim report required' : ''}\n\n${assignment.task}`
        : `co-handler ${assignment.unitId} reported`,
    );
  };

  show(false, true);
  const inTime = await wf.condition(() => report !== undefined, Math.max(0, Date.parse(assignment.dueAt) - Date.now()));
  if (!inTime) {
    show(true, true);
    await notify({
      appealId: assignment.appealId,
      notificationKey: `cohandler-late:${assignment.unitId}`,
      to: `unit:${assignment.unitId}`,
      kind: 'co_handler_overdue',
      message: partyMessages.coHandlingLate(assignment, assignment.dueAt),
    });
    await wf.condition(() => report !== undefined);
  }
  show(!inTime, false);
  return {
    unitId: assignment.unitId,
    late: !inTime,
    reportedAt: new Date().toISOString(),
    lateReason: report?.lateReason,
  };
}
