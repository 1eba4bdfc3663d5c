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

/** Who sends an action. A unit or coordinator acts for one unit id. */
export type Party =
  | { role: 'intake' }
  | { role: 'center' }
  | { role: 'unit'; unitId: string }
  | { role: 'coordinator'; unitId: string };

export const describeParty = (party: Party): string =>
  'unitId' in party ? `${party.role}:${party.unitId}` : party.role;

/** Art. 12: the ways triage closes an appeal without dispatch. */
export const CLOSING_DISPOSITIONS = [
  'knowledge_answer',
  'emergency_transfer',
  'legal_channel',
  'repeat',
  'explained',
  'admonished',
  'market_referral',
] as const;
export type ClosingDisposition = (typeof CLOSING_DISPOSITIONS)[number];

export type TriageInput =
  | {
      by: Party;
      disposition: ClosingDisposition;
      reason: string;
      /** What the requester is told. */
      answer: string;
      /** emergency_transfer: 110 / 119 / 120 / 122. */
      emergencyNumber?: '110' | '119' | '120' | '122';
      /** legal_channel: litigation, arbitration, discipline inspection, administrative review, information disclosure, petition. */
      legalChannel?: string;
      /** repeat: the open or finished original. */
      originalAppealId?: string;
      knowledgeEntryId?: string;
    }
  | {
      by: Party;
      disposition: 'dispatch';
      reason?: string;
      /** Overrides the catalogue (needed when it leaves the appeal in the manual queue). */
      unitId?: string;
      /** A complex appeal goes to a consultation (会商) among candidate units first. */
      consultation?: boolean;
    };

export interface ConsultationOpinionInput {
  by: Party;
  opinion: string;
  /** The unit's view of who should lead. */
  proposedLeadUnitId?: string;
}
export interface ConcludeConsultationInput {
  by: Party;
  leadUnitId: string;
  reason: string;
}
export interface AcceptInput {
  by: Party;
}
export interface ObjectInput {
  by: Party;
  reason: string;
}
export interface DecideObjectionInput {
  by: Party;
  decision: 'upheld' | 'redispatch';
  reason: string;
  /** redispatch: the unit that takes over (else the catalogue's next choice is asked of the center). */
  newUnitId?: string;
}
export interface FirstContactInput {
  by: Party;
  note?: string;
}
export interface AddCoHandlerInput {
  by: Party;
  unitId: string;
  task: string;
}
export interface CoHandlerReportInput {
  by: Party;
  report: string;
  /** Required when the co-handler's deadline has passed (Art. 16). */
  lateReason?: string;
  interim?: boolean;
}
export interface WhistleInput {
  by: Party;
  departmentIds: string[];
  reason: string;
}
export interface ReportInInput {
  by: Party;
  note: string;
}
export interface RequestExtensionInput {
  by: Party;
  reason: string;
}
export interface DecideExtensionInput {
  by: Party;
  approved: boolean;
  reason: string;
}
export interface RequestCoordinationInput {
  by: Party;
  /** District government or sector authority (Art. 22). */
  coordinatorId: string;
  reason: string;
}
export interface CoordinationOpinionInput {
  by: Party;
  opinion: string;
}
export interface ReportResultInput {
  by: Party;
  outcome: 'resolved' | 'explained' | 'unresolvable';
  summary: string;
}
export const SATISFACTION = ['satisfied', 'basically_satisfied', 'unsatisfied'] as const;
export type Satisfaction = (typeof SATISFACTION)[number];
export interface CallbackAnswerInput {
  by: Party;
  reached: boolean;
  contacted?: boolean;
  resolved?: boolean;
  satisfaction?: Satisfaction;
  channel?: 'phone' | 'sms' | 'web';
}
export interface OrderRehandlingInput {
  by: Party;
  reason: string;
}
export interface WithdrawInput {
  by: Party;
  reason: string;
}
export interface MergeInput {
  by: Party;
  originalAppealId: string;
  reason: string;
}

export interface TimelineEntry {
  at: string;
  type: string;
  actor: string;
  reason?: string;
}

export type SubMatterStatus = 'open' | 'done' | 'late';

export interface CoHandlerState {
  unitId: string;
  task: string;
  dueAt: string;
  status: SubMatterStatus;
  workflowId: string;
  reportedAt?: string;
  lateReason?: string;
}

/** How far back a repeat of the same requester, place and category is looked for (Art. 12). */
export const DUPLICATE_WINDOW_DAYS = 30;

export interface TriageHints {
  /** The best knowledge-base answers for the appeal's content, best first (a consultation answered on the spot). */
  knowledge: { id: string; title: string; answer: string; score: number }[];
  /** Open or recently closed appeals of the same requester, place and category (a repeat to link). */
  duplicates: {
    appealId: string;
    stage: string;
    leadUnitId: string | null;
    dueAt: string | null;
    disposition: string | null;
    receivedAt: string;
    closedAt: string | null;
  }[];
}

/** The whole case, as `caseQuery` and every Update return it. */
export interface AppealCase {
  appealId: string;
  stage: Stage;
  appealType: AppealType;
  categoryCode: string;
  districtId?: string;
  streetId?: string;
  leadUnitId?: string;
  /** Units notified to supervise (a street's district government, Art. 14). */
  supervisingUnitIds: string[];
  coHandlers: CoHandlerState[];
  consultation?: { candidateUnitIds: string[]; opinions: { unitId: string; opinion: string }[] };
  objection?: { unitId: string; reason: string; at: string };
  whistle?: { departments: { unitId: string; status: SubMatterStatus; dueAt: string }[]; reason: string };
  extension?: { status: 'requested' | 'approved' | 'denied'; reason: string; requestedAt: string };
  coordination?: {
    coordinatorId: string;
    status: 'requested' | 'answered' | 'late';
    reason: string;
    dueAt: string;
    opinion?: string;
  };
  policy?: { code: string; version: number };
  /** Every deadline of the case as an absolute instant, by window name. */
  deadlines: Record<string, string>;
  /** The deadline that applies now (also the `DueAt` search attribute). */
  dueAt?: string;
  overdue: boolean;
  escalationLevel: number;
  /** Set when the official calendar had no data and natural days were counted instead. */
  calendarNote?: string;
  acceptanceReminders: number;
  firstContactAt?: string;
  result?: { outcome: ReportResultInput['outcome']; summary: string; at: string };
  callback?: {
    attempts: number;
    reached?: boolean;
    contacted?: boolean;
    resolved?: boolean;
    satisfaction?: Satisfaction;
  };
  rehandlings: number;
  disposition?: string;
  answer?: string;
  originalAppealId?: string;
  /** What the center sees at triage (Art. 12, 13): knowledge-base answers and possible originals. */
  triageHints?: TriageHints;
  /** Who must act next: `center`, `unit:<id>`, `coordinator:<id>`, `requester` or `none`. */
  nextActor: string;
  /** Since when the case waits on `nextActor`. */
  waitingSince: string;
  timeline: TimelineEntry[];
}

/**
 * Every unit a case involves: lead, supervising district government, co-handlers, summoned
 * departments, coordinator, consultation candidates. They may read the case; the record keeps
 * the list so that lists and inboxes find it.
 */
export function involvedUnitIds(
  c: Pick<AppealCase, 'leadUnitId' | 'supervisingUnitIds' | 'coHandlers' | 'whistle' | 'coordination' | 'consultation'>,
): string[] {
  const ids = [
    c.leadUnitId,
    ...c.supervisingUnitIds,
    ...c.coHandlers.map((co) => co.unitId),
    ...(c.whistle?.departments.map((dept) => dept.unitId) ?? []),
    c.coordination?.coordinatorId,
    ...(c.consultation?.candidateUnitIds ?? []),
  ];
  return [...new Set(ids.filter((id): id is string => Boolean(id)))];
}

export const caseQuery = defineQuery<AppealCase>('case');

export const triageAppealUpdate = defineUpdate<AppealCase, [TriageInput]>('triageAppeal');
export const giveConsultationOpinionUpdate = defineUpdate<AppealCase, [ConsultationOpinionInput]>(
  'giveConsultationOpinion',
);
export const concludeConsultationUpdate = defineUpdate<AppealCase, [ConcludeConsultationInput]>('concludeConsultation');
export const acceptDispatchUpdate = defineUpdate<AppealCase, [AcceptInput]>('acceptDispatch');
export const objectToDispatchUpdate = defineUpdate<AppealCase, [ObjectInput]>('objectToDispatch');
export const decideObjectionUpdate = defineUpdate<AppealCase, [DecideObjectionInput]>('decideObjection');
export const recordFirstContactUpdate = defineUpdate<AppealCase, [FirstContactInput]>('recordFirstContact');
export const addCoHandlerUpdate = defineUpdate<AppealCase, [AddCoHandlerInput]>('addCoHandler');
export const reportCoHandlerPartUpdate = defineUpdate<AppealCase, [CoHandlerReportInput]>('reportCoHandlerPart');
export const blowWhistleUpdate = defineUpdate<AppealCase, [WhistleInput]>('blowWhistle');
export const reportInUpdate = defineUpdate<AppealCase, [ReportInInput]>('reportIn');
export const requestExtensionUpdate = defineUpdate<AppealCase, [RequestExtensionInput]>('requestExtension');
export const decideExtensionUpdate = defineUpdate<AppealCase, [DecideExtensionInput]>('decideExtension');
export const requestCoordinationUpdate = defineUpdate<AppealCase, [RequestCoordinationInput]>('requestCoordination');
export const giveCoordinationOpinionUpdate = defineUpdate<AppealCase, [CoordinationOpinionInput]>(
  'giveCoordinationOpinion',
);
export const reportResultUpdate = defineUpdate<AppealCase, [ReportResultInput]>('reportResult');
export const recordCallbackUpdate = defineUpdate<AppealCase, [CallbackAnswerInput]>('recordCallback');
export const orderRehandlingUpdate = defineUpdate<AppealCase, [OrderRehandlingInput]>('orderRehandling');
export const withdrawAppealUpdate = defineUpdate<AppealCase, [WithdrawInput]>('withdrawAppeal');
export const mergeAppealUpdate = defineUpdate<AppealCase, [MergeInput]>('mergeAppeal');

/** Telephony reports a callback answer fire-and-forget; the same rules apply as to the Update. */
export const recordCallbackSignal = defineSignal<[CallbackAnswerInput]>('recordCallback');
