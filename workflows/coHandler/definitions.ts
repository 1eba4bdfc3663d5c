import { defineSignal } from '@temporalio/workflow';

export const coHandlerWorkflowId = (appealId: string, unitId: string): string =>
  `appeal-${appealId}-cohandler-${unitId}`;

export interface CoHandlerAssignment {
  appealId: string;
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
