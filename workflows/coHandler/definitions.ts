import { defineSignal } from '@temporalio/workflow';

export const coHandlerWorkflowId = (appealId: string, unitId: string): string =>
  `appeal-${appealId}-cohandler-${unitId}`;

export interface CoHandlerAssignment {
  appealId: string;
  /** The number its messages name (parts started before it was passed name the appeal's id). */
  workOrderNo?: string;
  unitId: string;
  leadUnitId: string;
  task: string;
  /** Before the appeal's handling deadline (Art. 16). */
  dueAt: string;
}

export interface CoHandlerOutcome {
  unitId: string;
  late: boolean;
  reportedAt: string;
  lateReason?: string;
}

/** The parent forwards the co-handler's accepted report (validated there). */
export const coHandlerReportedSignal = defineSignal<[{ report: string; lateReason?: string }]>('coHandlerReported');

/** Cases started since the `every-party` patch: the co-handler's own workflow owns its deadline. */
export const coHandlingWorkflowId = (appealId: string, unitId: string): string =>
  `appeal-${appealId}-co-handling-${unitId}`;

export interface CoHandlingAssignment extends CoHandlerAssignment {
  /** The appeal's handling deadline: a co-handler with no final report by then never reported. */
  mainDueAt: string;
  /** Added while the lead's extension request waits for the center (later changes come as `extensionPending`). */
  extensionPending?: boolean;
}

/** How a co-handler's part ended: `missing` when it never gave its final report by the main deadline. */
export interface CoHandlingOutcome {
  unitId: string;
  status: 'done' | 'missing' | 'ended';
  late: boolean;
  reportedAt?: string;
  lateReason?: string;
}

/** The parent forwards each accepted report (interim or final), validated there. */
export const coHandlingReportSignal =
  defineSignal<[{ report: string; interim: boolean; lateReason?: string }]>('coHandlingReport');
/** The appeal's handling deadline moved (an extension). */
export const mainDeadlineMovedSignal = defineSignal<[{ mainDueAt: string }]>('mainDeadlineMoved');
/**
 * The lead's extension request waits for the center (`pending`), or was decided or lapsed: past
 * the main deadline, a part waits for the decision, as the case does.
 */
export const extensionPendingSignal = defineSignal<[{ pending: boolean }]>('extensionPending');
/** The case closed (withdrawn, merged, called back) while the part was open. */
export const caseEndedSignal = defineSignal<[{ why: string }]>('caseEnded');
/** Sent by the co-handler's workflow to its appeal when its own deadline passes without a final report. */
export const coHandlerOverdueSignal = defineSignal<[{ unitId: string; dueAt: string }]>('coHandlerOverdue');
