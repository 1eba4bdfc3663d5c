/**
 * The appeal's domain types, in one place: the work order, parties, stages, action inputs and
 * the case as every layer sees it (workflow, activities, database, API). Types and constants
 * only: no side effects, nothing from Temporal's runtime, safe inside the workflow sandbox.
 */
import type { GivenDispatchPlan } from '../activities/dispatch/plan.js';

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
  /** A central/military matter forwarded through the liaison and followed up (Art. 23). */
  'forwarded',
  'handling',
  'result_reported',
  'callback',
  'rehandling',
  'closed',
] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Art. 9(2): an image, a recording or a video, by reference only: the bytes stay in the
 * intake system's store and never enter workflow history.
 */
export interface AttachmentRef {
  url: string;
  contentType: string;
  /** Bytes. */
  size: number;
  /** Hex SHA-256 of the bytes, so a reader can check what it fetched. */
  sha256: string;
  name?: string;
}

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
  /** Images, recordings, videos the requester gave (Art. 9(2)), by reference. */
  attachments?: AttachmentRef[];
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
      /** repeat: the original's work order number (the API looks it up), which the requester is told to follow. */
      originalWorkOrderNo?: string;
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
      /**
       * The dispatch plan the API read with the decision (never from the request body): the case
       * takes it instead of reading its own when it fits (appeal/triage.ts).
       */
      plan?: GivenDispatchPlan;
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
  attachments?: AttachmentRef[];
  /** Required when the co-handler's deadline has passed (Art. 16). */
  lateReason?: string;
  /** An interim report: progress so far. A late co-handler gives one, with its reason, before its final report. */
  interim?: boolean;
}
/** Art. 23: the liaison names the central or military organ it forwarded the matter to. */
export interface RecordForwardingInput {
  by: Party;
  organ: string;
  note?: string;
}
/** Art. 23: what the organ answered; the case then goes to the callback. */
export interface ForwardingFeedbackInput {
  by: Party;
  feedback: string;
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
  /** Photos of the repair, a recording of the explanation … (Art. 9(2)), by reference. */
  attachments?: AttachmentRef[];
}
export const SATISFACTION = ['satisfied', 'basically_satisfied', 'unsatisfied'] as const;
export type Satisfaction = (typeof SATISFACTION)[number];
export const CALLBACK_CHANNELS = ['phone', 'sms', 'web'] as const;
export type CallbackChannel = (typeof CALLBACK_CHANNELS)[number];
/** A reached callback carries all three answers; an unreached one none (Art. 24). */
export interface CallbackAnswerInput {
  by: Party;
  reached: boolean;
  contacted?: boolean;
  resolved?: boolean;
  satisfaction?: Satisfaction;
  channel?: CallbackChannel;
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
  /** The original's work order number, which the requester is told (the API looks it up). */
  originalWorkOrderNo?: string;
  reason: string;
}

export interface TimelineEntry {
  at: string;
  type: string;
  actor: string;
  reason?: string;
}

/** `ended`: the case closed (withdrawn, merged, called back) while the sub-matter was open. */
export type SubMatterStatus = 'open' | 'done' | 'late' | 'ended';

export interface CoHandlerState {
  unitId: string;
  task: string;
  dueAt: string;
  status: SubMatterStatus;
  workflowId: string;
  reportedAt?: string;
  lateReason?: string;
  /** The last interim report's instant (a late co-handler gives one before its final report). */
  interimAt?: string;
  /** Its interim reports, oldest first: the lead reads them to write its result. */
  interimReports?: { at: string; report: string }[];
  /** Its final report to the lead unit (Art. 16). */
  report?: string;
  /** What its reports referenced, interim and final, in order. */
  attachments?: AttachmentRef[];
}

/** An authority asked to coordinate (by the lead unit) or escalated to (by the process), Art. 22. */
export interface CoordinationState {
  coordinatorId: string;
  /** `answered`: the opinion came in time or late; `late`: the window passed without one; `ended`: the case closed first. */
  status: 'requested' | 'answered' | 'late' | 'ended';
  reason: string;
  requestedAt?: string;
  dueAt: string;
  opinion?: string;
  answeredAt?: string;
}

/** A department summoned by the whistle (Art. 18), and its report-in. */
export interface SummonedDepartment {
  unitId: string;
  status: SubMatterStatus;
  dueAt: string;
  reportedAt?: string;
  /** What it said when it reported in. */
  note?: string;
}

/** A whistle blown by a street or township lead (Art. 18). */
export interface WhistleState {
  /** Every department summoned, by this whistle or an earlier one (each stays a party of the case). */
  departments: SummonedDepartment[];
  /** Why this (the latest) whistle was blown. */
  reason: string;
  /** When it was blown (absent on a case that blew it before this was kept). */
  blownAt?: string;
  /** The whistles blown before it, oldest first, each with the departments as they stood when the next was blown. */
  earlier?: { reason: string; blownAt?: string; departments: SummonedDepartment[] }[];
}

/** The lead unit's request for an extension (Art. 17) and the center's decision. */
export interface ExtensionState {
  /** `lapsed`: the result came while the request waited for the center, which had nothing left to decide. */
  status: 'requested' | 'approved' | 'denied' | 'lapsed';
  reason: string;
  requestedAt: string;
  decidedAt?: string;
  decisionReason?: string;
  /** Approved: the handling deadline it set. */
  extendedTo?: string;
}

/** The lead unit's result of one round of handling (a type, not an interface: records take it as a plain object). */
export type ResultState = {
  outcome: ReportResultInput['outcome'];
  summary: string;
  at: string;
  attachments?: AttachmentRef[];
};

/** One tier of escalation: a coordination the process opened itself. */
export interface EscalationState extends CoordinationState {
  level: number;
  /** What was overdue: `acceptance` or `handling`. */
  cause: 'acceptance' | 'handling';
}

/** How far back a repeat is looked for when a (pre-policy) case gives no window of its own. */
export const DUPLICATE_WINDOW_DAYS = 30;

/** The kinds of accountability records (Art. 29). */
export const ACCOUNTABILITY_KINDS = [
  'late_acceptance',
  'overdue_handling',
  'overdue_extended_handling',
  'objection_rejected',
  'late_co_handler',
  'co_handler_no_report',
  'late_report_in',
  'late_coordination_opinion',
  'claim_contradicted',
] as const;
export type AccountabilityKind = (typeof ACCOUNTABILITY_KINDS)[number];

/** Kinds of the directory's handling units (streets and townships are handling units of their own). */
export type UnitKind =
  | 'hotline_center'
  | 'district_government'
  | 'city_department'
  | 'district_department'
  | 'public_service_enterprise'
  | 'sector_authority'
  | 'central_military_liaison';
/** Kinds of handling units: the directory's kinds and the streets and townships. */
export type HandlingUnitKind = UnitKind | 'street' | 'township';

/** The triage hints as the case shows them: the knowledge base's best answers (their text, no more) and possible originals. */
export function triageHintsOf(
  knowledge: readonly { id: string; title: string; answer: string; score: number }[],
  duplicates: TriageHints['duplicates'],
): TriageHints {
  return { knowledge: knowledge.map(({ id, title, answer, score }) => ({ id, title, answer, score })), duplicates };
}

/** What a recorded intake gives the case: its work order number (none for a case recorded before numbers) and the triage hints. */
export interface IntakeRecorded {
  /** The work order number (工单编号); a retry answers the one the first attempt gave. */
  workOrderNo: string | null;
  triageHints: TriageHints;
}

/** The case's fields from a recorded intake: the one rule by which the workflow and the record both take it. */
export function intakeFields(recorded: IntakeRecorded): Pick<AppealCase, 'workOrderNo' | 'triageHints'> {
  return {
    ...(recorded.workOrderNo ? { workOrderNo: recorded.workOrderNo } : {}),
    triageHints: recorded.triageHints,
  };
}

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
  /** 工单编号 (`YYYYMMDD-NNNNNN`), given when the intake is recorded; absent on cases recorded before numbers. */
  workOrderNo?: string;
  stage: Stage;
  appealType: AppealType;
  categoryCode: string;
  districtId?: string;
  streetId?: string;
  leadUnitId?: string;
  /** The lead unit's kind (a street or township blows the whistle and is supervised by its district government). */
  leadUnitKind?: HandlingUnitKind;
  /** Units notified to supervise (a street's district government, Art. 14). */
  supervisingUnitIds: string[];
  stabilityRisk?: boolean;
  coHandlers: CoHandlerState[];
  consultation?: {
    candidateUnitIds: string[];
    opinions: { unitId: string; opinion: string; proposedLeadUnitId?: string }[];
  };
  objection?: { unitId: string; reason: string; at: string };
  whistle?: WhistleState;
  /** The latest extension request (Art. 17). */
  extension?: ExtensionState;
  /** The extension requests before it (a later request, or a re-handling round, took its place), oldest first. */
  earlierExtensions?: ExtensionState[];
  /** The lead unit's own coordination request (Art. 22): the latest. */
  coordination?: CoordinationState;
  /** The lead's coordination requests before it, oldest first: their authorities stay parties of the case. */
  earlierCoordinations?: CoordinationState[];
  /** Tiers the process escalated to, in order (Art. 22): each authority is a party with its own window. */
  escalations?: EscalationState[];
  /** Art. 23: where a central/military matter was forwarded, and its follow-up. */
  forwarding?: {
    liaisonUnitId: string;
    organ?: string;
    forwardedAt?: string;
    followUps: number;
    nextFollowUpAt?: string;
    feedback?: string;
    feedbackAt?: string;
  };
  /** On an original: the appeals merged into it (并单). */
  mergedAppealIds?: string[];
  /** Since when the case is overdue (the first missed window of the stage), until the obligation is met. */
  overdueSince?: string;
  /** Everyone who owes something now, as actors (`center`, `unit:<id>`, `coordinator:<id>`): inboxes put these first. */
  pendingActors?: string[];
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
  result?: ResultState;
  /** The results of earlier rounds, oldest first: a re-handling order set each aside. */
  earlierResults?: ResultState[];
  callback?: {
    attempts: number;
    reached?: boolean;
    contacted?: boolean;
    resolved?: boolean;
    satisfaction?: Satisfaction;
    channel?: CallbackChannel;
    /** Why the callback started: the handling deadline expired, or the result was reported. */
    trigger?: 'deadline' | 'result';
  };
  rehandlings: number;
  /** Workflow runs the case has taken, once a long case has continued as new (absent before). */
  runs?: number;
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
 * departments, coordinators (earlier ones too), consultation candidates. They may read the case; the record keeps
 * the list so that lists and inboxes find it.
 */
export function involvedUnitIds(
  c: Pick<
    AppealCase,
    | 'leadUnitId'
    | 'supervisingUnitIds'
    | 'coHandlers'
    | 'whistle'
    | 'coordination'
    | 'earlierCoordinations'
    | 'consultation'
    | 'escalations'
    | 'forwarding'
  >,
): string[] {
  const ids = [
    c.leadUnitId,
    ...c.supervisingUnitIds,
    ...c.coHandlers.map((co) => co.unitId),
    ...(c.whistle?.departments.map((dept) => dept.unitId) ?? []),
    c.coordination?.coordinatorId,
    ...(c.earlierCoordinations?.map((r) => r.coordinatorId) ?? []),
    ...(c.consultation?.candidateUnitIds ?? []),
    ...(c.escalations?.map((e) => e.coordinatorId) ?? []),
    c.forwarding?.liaisonUnitId,
  ];
  return [...new Set(ids.filter((id): id is string => Boolean(id)))];
}
