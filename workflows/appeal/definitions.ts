/**
 * The appeal workflow's public surface: input, state, messages and task queue. The API and
 * the tests import this file; it has no side effects and pulls in no workflow code.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const TASK_QUEUE = 'appeals';

export const appealWorkflowId = (appealId: string): string => `appeal-${appealId}`;

export const CHANNELS = ['phone', 'web', 'app', 'other'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Art. 2: what a requester asks. */
export const APPEAL_TYPES = ['consultation', 'help', 'complaint', 'report', 'suggestion'] as const;
export type AppealType = (typeof APPEAL_TYPES)[number];

export const STAGES = [
  'triage',
  'consultation',
  'awaiting_acceptance',
  'objection_review',
  'handling',
  'result_reported',
  'callback',
  'rehandling',
  'closed',
] as const;
export type Stage = (typeof STAGES)[number];

/** The work order (工单) as recorded at intake (Art. 11). Validated before the workflow starts. */
export interface WorkOrder {
  appealId: string;
  channel: Channel;
  appealType: AppealType;
  categoryCode: string;
  content: string;
  districtId?: string;
  streetId?: string;
  address?: string;
  requester: { name?: string; phone?: string };
  /** A risk to social stability is pushed to the government at once. */
  stabilityRisk?: boolean;
  /** ISO instant of intake. */
  receivedAt: string;
}

export interface TimelineEntry {
  at: string;
  type: string;
  actor: string;
  reason?: string;
}

/** The whole case, as the `caseQuery` returns it. */
export interface AppealCase {
  appealId: string;
  stage: Stage;
  leadUnitId?: string;
  deadlines: Record<string, string>;
  nextActor: string;
  timeline: TimelineEntry[];
}

export interface ReportResultInput {
  unitId: string;
  outcome: 'resolved' | 'explained' | 'unresolvable';
  summary: string;
}

export const caseQuery = defineQuery<AppealCase>('case');
export const reportResultUpdate = defineUpdate<AppealCase, [ReportResultInput]>('reportResult');
export const recordCallbackSignal = defineSignal<[{ reached: boolean }]>('recordCallback');
