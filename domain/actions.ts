/**
 * Who may do what, in which stage: one table, read by the workflow's validators (which refuse
 * an action before anything enters history) and by the API (its role checks and the OpenAPI
 * text), so the two cannot disagree. DOMAIN.md, "Stages, parties and actions".
 */
import { STAGES, type Stage } from './appeal.js';

/**
 * A party as the case knows it. The API key's role narrows it (`center` and `admin` keys act as
 * the center; `unit` keys as a unit; `coordinator` keys as a district government or sector
 * authority); the workflow decides which unit of the case a unit key is.
 */
export type CaseParty =
  | 'center'
  | 'intake'
  /** The unit an order is dispatched to, while it has not accepted. */
  | 'dispatched_unit'
  | 'lead_unit'
  /** A unit asked for its opinion in a consultation (会商). */
  | 'candidate_unit'
  | 'co_handler'
  /** A department summoned by a street's whistle (Art. 18). */
  | 'summoned_department'
  /** The authority a coordination request or an escalation is addressed to (Art. 22). */
  | 'coordinator'
  /** The central/military liaison a matter was forwarded through (Art. 23). */
  | 'liaison';

/** API key roles (the API's own list) each case party can be acted for by. */
export const ROLES_OF_PARTY: Record<CaseParty, readonly ('intake' | 'center' | 'admin' | 'unit' | 'coordinator')[]> = {
  center: ['center', 'admin'],
  intake: ['intake'],
  dispatched_unit: ['unit'],
  lead_unit: ['unit'],
  candidate_unit: ['unit'],
  co_handler: ['unit'],
  summoned_department: ['unit'],
  coordinator: ['coordinator'],
  liaison: ['unit'],
};

/** Stages in which the case is open (everything but `closed`). */
export const OPEN_STAGES: readonly Stage[] = STAGES.filter((stage) => stage !== 'closed');

/** Stages after a dispatch in which an escalated or asked authority may answer. */
const DISPATCHED: readonly Stage[] = [
  'awaiting_acceptance',
  'objection_review',
  'handling',
  'result_reported',
  'callback',
  'rehandling',
];
const HANDLING: readonly Stage[] = ['handling', 'rehandling'];
/**
 * A co-handler's part and a summoned department's report-in are owed by their own deadlines,
 * which may fall after the lead's result: the case still takes them then, rather than refuse
 * them and record the unit as late.
 */
const HANDLING_OR_REPORTED: readonly Stage[] = [...HANDLING, 'result_reported'];

export interface ActionRule {
  /** The API path under `/v1/appeals/{id}/`. */
  path: string;
  summary: string;
  stages: readonly Stage[];
  parties: readonly CaseParty[];
}

export const ACTION_RULES = {
  triageAppeal: {
    path: 'triage',
    summary: 'Triage: dispatch or close (Art. 12)',
    stages: ['triage'],
    parties: ['center'],
  },
  giveConsultationOpinion: {
    path: 'consultation-opinion',
    summary: 'A candidate unit gives its consultation opinion (会商)',
    stages: ['consultation'],
    parties: ['candidate_unit'],
  },
  concludeConsultation: {
    path: 'consultation-conclusion',
    summary: 'The center concludes the consultation and names the lead unit',
    stages: ['consultation'],
    parties: ['center'],
  },
  acceptDispatch: {
    path: 'accept',
    summary: 'The dispatched unit accepts (Art. 16)',
    stages: ['awaiting_acceptance'],
    parties: ['dispatched_unit'],
  },
  objectToDispatch: {
    path: 'object',
    summary: 'The dispatched unit objects with reasons (Art. 14)',
    stages: ['awaiting_acceptance'],
    parties: ['dispatched_unit'],
  },
  decideObjection: {
    path: 'objection-decision',
    summary: 'The center upholds the dispatch or re-dispatches',
    stages: ['objection_review'],
    parties: ['center'],
  },
  recordForwarding: {
    path: 'forwarding',
    summary: 'The liaison records the central or military organ it forwarded the matter to (Art. 23)',
    stages: ['forwarded'],
    parties: ['liaison'],
  },
  recordForwardingFeedback: {
    path: 'forwarding-feedback',
    summary: "The liaison records the organ's feedback (Art. 23)",
    stages: ['forwarded'],
    parties: ['liaison'],
  },
  recordFirstContact: {
    path: 'first-contact',
    summary: 'The lead unit records first contact with the requester',
    stages: HANDLING,
    parties: ['lead_unit'],
  },
  addCoHandler: {
    path: 'co-handlers',
    summary: 'The lead unit adds a co-handling unit (Art. 16)',
    stages: HANDLING,
    parties: ['lead_unit'],
  },
  reportCoHandlerPart: {
    path: 'co-handler-report',
    summary: 'A co-handler reports its part (interim or final)',
    stages: HANDLING_OR_REPORTED,
    parties: ['co_handler'],
  },
  blowWhistle: {
    path: 'whistle',
    summary: 'A street or township lead blows the whistle (Art. 18)',
    stages: HANDLING,
    parties: ['lead_unit'],
  },
  reportIn: {
    path: 'report-in',
    summary: 'A summoned department reports in',
    stages: HANDLING_OR_REPORTED,
    parties: ['summoned_department'],
  },
  requestExtension: {
    path: 'extension-request',
    summary: 'The lead unit asks for an extension, before the deadline (Art. 17)',
    stages: HANDLING,
    parties: ['lead_unit'],
  },
  decideExtension: {
    path: 'extension-decision',
    summary: 'The center decides an extension',
    stages: HANDLING,
    parties: ['center'],
  },
  requestCoordination: {
    path: 'coordination-request',
    summary: 'The lead unit asks a district government or sector authority to coordinate (Art. 22)',
    stages: HANDLING,
    parties: ['lead_unit'],
  },
  giveCoordinationOpinion: {
    path: 'coordination-opinion',
    summary: 'The coordinator asked or escalated to gives its opinion (Art. 22)',
    stages: DISPATCHED,
    parties: ['coordinator'],
  },
  reportResult: {
    path: 'result',
    summary: 'The lead unit reports the result',
    stages: HANDLING,
    parties: ['lead_unit'],
  },
  recordCallback: {
    path: 'callback',
    summary: "The center records the requester's callback answer (Art. 24)",
    stages: ['callback'],
    parties: ['center'],
  },
  orderRehandling: {
    path: 'rehandling',
    summary: 'The center orders re-handling after an unsatisfied callback',
    stages: ['callback'],
    parties: ['center'],
  },
  withdrawAppeal: {
    path: 'withdraw',
    summary: 'Intake records the requester withdrawing the appeal',
    stages: OPEN_STAGES,
    parties: ['intake'],
  },
  mergeAppeal: {
    path: 'merge',
    summary: 'The center merges the appeal into an open original (并单)',
    stages: ['triage', 'awaiting_acceptance', 'handling'],
    parties: ['center'],
  },
} as const satisfies Record<string, ActionRule>;

export type ActionName = keyof typeof ACTION_RULES;

/** The API key roles that may send an action at all (the workflow then checks which unit). */
export function rolesFor(action: ActionName): ('intake' | 'center' | 'admin' | 'unit' | 'coordinator')[] {
  return [...new Set(ACTION_RULES[action].parties.flatMap((p) => ROLES_OF_PARTY[p]))];
}

/** Human text of a rule, for the OpenAPI description and refusals. */
export function describeRule(action: ActionName): string {
  const rule: ActionRule = ACTION_RULES[action];
  return `Party: ${rule.parties.join(' or ')} (API roles: ${rolesFor(action).join(', ')}). Stages: ${rule.stages.join(', ')}.`;
}
