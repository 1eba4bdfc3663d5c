/**
 * One co-handling unit's part of an appeal (Art. 16), as its own child workflow that owns its
 * deadline: at its deadline it tells the appeal (the co-handler is late: reason and interim
 * report required) and the unit; it ends with the final report, at the appeal's handling
 * deadline without one (`missing`; while the lead's extension request waits, once the center
 * has decided it and the deadline stands), or when the appeal closes. The appeal awaits its result.
 * A stuck co-handler shows up in the Temporal UI under its own unit (`CoHandlerUnit`).
 */
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { NOTIFY_ACTIVITY_OPTIONS } from '../../domain/notifications.js';
import { appealWorkflowId } from '../../domain/appeal.js';
import { partyMessages } from '../../domain/partyMessages.js';
import { beijingTimeText } from '../../domain/requesterMessages.js';
import { AppealId, AppealStage, CoHandlerUnit, DueAt, LeadUnit, NextActor, Overdue } from '../searchAttributes.js';
import {
  caseEndedSignal,
  coHandlerOverdueSignal,
  coHandlingReportSignal,
  extensionPendingSignal,
  mainDeadlineMovedSignal,
  type CoHandlingAssignment,
  type CoHandlingOutcome,
} from './definitions.js';

const { notify } = wf.proxyActivities<Activities>(NOTIFY_ACTIVITY_OPTIONS);

export async function coHandlingWorkflow(assignment: CoHandlingAssignment): Promise<CoHandlingOutcome> {
  const { appealId, unitId, leadUnitId } = assignment;
  let mainDueAt = assignment.mainDueAt;
  let final: { report: string; lateReason?: string; at: string } | undefined;
  let ended: string | undefined;
  wf.setHandler(coHandlingReportSignal, (r) => {
    if (!r.interim) final = { report: r.report, lateReason: r.lateReason, at: new Date().toISOString() };
  });
  wf.setHandler(mainDeadlineMovedSignal, (m) => {
    mainDueAt = m.mainDueAt;
  });
  wf.setHandler(caseEndedSignal, (e) => {
    ended = e.why;
  });
  let extensionPending = assignment.extensionPending ?? false;
  wf.setHandler(extensionPendingSignal, (e) => {
    extensionPending = e.pending;
  });
  const settled = () => final !== undefined || ended !== undefined;

  const show = (overdue: boolean, waiting: boolean): void => {
    wf.upsertSearchAttributes([
      { key: AppealId, value: appealId },
      { key: AppealStage, value: waiting ? 'co_handling' : 'co_handling_done' },
      { key: CoHandlerUnit, value: unitId },
      { key: LeadUnit, value: leadUnitId },
      { key: DueAt, value: new Date(assignment.dueAt) },
      { key: Overdue, value: overdue && waiting },
      { key: NextActor, value: waiting ? `unit:${unitId}` : 'none' },
    ]);
    wf.setCurrentDetails(
      waiting
        ? `co-handler **${unitId}** owes its part to ${leadUnitId} by ${beijingTimeText(assignment.dueAt)}${overdue ? ' — **OVERDUE**: reason and interim report required' : ''}\n\n${assignment.task}`
        : `co-handler ${unitId}: ${final ? 'reported' : (ended ?? 'no report by the handling deadline')}`,
    );
  };

  show(false, true);
  const inTime = await wf.condition(settled, Math.max(0, Date.parse(assignment.dueAt) - Date.now()));
  if (!inTime) {
    show(true, true);
    try {
      await wf.getExternalWorkflowHandle(appealWorkflowId(appealId)).signal(coHandlerOverdueSignal, {
        unitId,
        dueAt: assignment.dueAt,
      });
    } catch (error) {
      // The appeal closed at this very moment: it ends this part itself.
      wf.log.warn('appeal not told of a late co-handler', { appealId, unitId, error: (error as Error).message });
    }
    await notify({
      appealId,
      notificationKey: `co-handling-late:${unitId}`,
      to: `unit:${unitId}`,
      kind: 'co_handler_overdue',
      message: partyMessages.coHandlingLate(assignment, assignment.dueAt),
    });
    // Until the final report, the case's close, or the appeal's own deadline (which an extension may
    // move: past it, while the lead's request waits, the part waits for the center's decision).
    for (;;) {
      const due = mainDueAt;
      if (await wf.condition(() => settled() || mainDueAt !== due, Math.max(0, Date.parse(due) - Date.now()))) {
        if (settled()) break;
        continue;
      }
      if (!extensionPending) break;
      await wf.condition(() => settled() || mainDueAt !== due || !extensionPending);
      if (settled() || mainDueAt === due) break;
    }
  }
  show(!inTime, false);
  const status = final ? 'done' : ended ? 'ended' : 'missing';
  return {
    unitId,
    status,
    late: !inTime,
    ...(final ? { reportedAt: final.at, ...(final.lateReason ? { lateReason: final.lateReason } : {}) } : {}),
  };
}
