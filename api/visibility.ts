/**
 * Who sees what of a case, in one table (Art. 17(1), 26, 29(4)): every route that answers a
 * case, a list or an inbox reads it; nothing else decides. The requester's name and phone go in
 * clear only to those who must reach the requester: the center and the lead unit. Everyone
 * else involved sees the work order with the contact masked; a unit outside the case sees
 * nothing (and is told the case does not exist).
 */
import type { Static } from '@sinclair/typebox';
import type { AppealType, Channel } from '../domain/appeal.js';
import type { Appeal } from '../db/schema/index.js';
import type { Principal } from './plugins/auth.js';
import type { WorkOrderView } from './schemas.js';

/** What a caller is to a case: by its role, or by its unit's part in the case. */
export const RELATIONSHIPS = [
  'center',
  'admin',
  'supervisor',
  'intake',
  'lead',
  'coHandler',
  'summonedDepartment',
  'supervisingGovernment',
  /** Asked to coordinate by the lead, or escalated to by the process (Art. 22). */
  'coordinator',
  'consultationCandidate',
  /** The central/military liaison a matter was forwarded through (Art. 23). */
  'liaison',
  /** Leads the appeal this one was merged into (并单): it now answers this requester too. */
  'originalLead',
  /**
   * The government of the appeal's district, pushed an appeal flagged a risk to social stability at
   * intake (Art. 11): it reads what it was told of, whether or not the case involves it otherwise.
   */
  'stabilityGovernment',
  /** Named by the record's list of involved units, its part no longer detailed (an old record, an action's pre-check). */
  'otherInvolved',
  'uninvolved',
] as const;
export type Relationship = (typeof RELATIONSHIPS)[number];

export interface Sight {
  /** Reads the case at all (else 404, so the case's existence does not leak). */
  case: boolean;
  /** Reads the work order: content, address, channel, category, place. */
  workOrder: boolean;
  /** Reads the requester's name and phone unmasked. */
  contactInClear: boolean;
  /**
   * Reads the triage hints: the center's aid at triage, which names other appeals (possible
   * originals of a repeat, with their stage and lead) that a unit of this case may not see.
   */
  triageHints: boolean;
}

const all: Sight = { case: true, workOrder: true, contactInClear: true, triageHints: true };
const masked: Sight = { case: true, workOrder: true, contactInClear: false, triageHints: false };
const none: Sight = { case: false, workOrder: false, contactInClear: false, triageHints: false };

export const VISIBILITY: Readonly<Record<Relationship, Sight>> = {
  // The center dispatches and calls back: it must reach the requester.
  center: all,
  admin: all,
  // Supervisors read every case, the center's aid included; the contact stays masked.
  supervisor: { ...masked, triageHints: true },
  // Intake recorded the appeal; once recorded, the contact is no longer its business.
  intake: masked,
  // The lead must contact the requester (Art. 17(1)); the center's triage aid is not its business.
  lead: { ...all, triageHints: false },
  coHandler: masked,
  summonedDepartment: masked,
  supervisingGovernment: masked,
  coordinator: masked,
  consultationCandidate: masked,
  liaison: masked,
  // The original's lead answers the merged appeal's requester as well (Art. 17(1)).
  originalLead: { ...all, triageHints: false },
  // Told of the risk, not asked to act: it reads the work order as every party but the lead does.
  stabilityGovernment: masked,
  otherInvolved: masked,
  uninvolved: none,
};

/** The roles whose sight does not depend on any part in a case. */
const BY_ROLE: Partial<Record<Principal['role'], Relationship>> = {
  center: 'center',
  admin: 'admin',
  supervisor: 'supervisor',
  intake: 'intake',
};

/** The parts of a case that say who is in it; only `involvedUnitIds` is always known. */
export interface CaseParties {
  involvedUnitIds: readonly string[];
  leadUnitId?: string;
  supervisingUnitIds?: readonly string[];
  coHandlers?: readonly { unitId: string }[];
  whistle?: { departments: readonly { unitId: string }[] };
  coordination?: { coordinatorId: string };
  escalations?: readonly { coordinatorId: string }[];
  consultation?: { candidateUnitIds: readonly string[] };
  forwarding?: { liaisonUnitId: string };
  /** A merged appeal: the lead unit of the original it was merged into (read from the original's record). */
  mergedIntoLeadUnitId?: string;
  /** A stability risk: the government of its district (Art. 11), when that is the caller's unit (read from the directory). */
  stabilityGovernmentId?: string;
}

/** Every part the caller has in the case (a unit may have several, e.g. lead and consultation candidate). */
export function relationshipsOf(principal: Principal, c: CaseParties): Relationship[] {
  const byRole = BY_ROLE[principal.role];
  if (byRole) return [byRole];
  const unitId = principal.unitId;
  if (!unitId) return ['uninvolved'];
  const parts: [boolean, Relationship][] = [
    // Only a unit key leads: a coordinator key of the same unit speaks as the coordinator.
    [principal.role === 'unit' && c.leadUnitId === unitId, 'lead'],
    [c.coHandlers?.some((co) => co.unitId === unitId) ?? false, 'coHandler'],
    [c.whistle?.departments.some((d) => d.unitId === unitId) ?? false, 'summonedDepartment'],
    [c.supervisingUnitIds?.includes(unitId) ?? false, 'supervisingGovernment'],
    [
      c.coordination?.coordinatorId === unitId || (c.escalations?.some((e) => e.coordinatorId === unitId) ?? false),
      'coordinator',
    ],
    [c.consultation?.candidateUnitIds.includes(unitId) ?? false, 'consultationCandidate'],
    [c.forwarding?.liaisonUnitId === unitId, 'liaison'],
    [principal.role === 'unit' && c.mergedIntoLeadUnitId === unitId, 'originalLead'],
    [c.stabilityGovernmentId === unitId, 'stabilityGovernment'],
  ];
  const found = parts.filter(([holds]) => holds).map(([, r]) => r);
  if (found.length > 0) return found;
  return [c.involvedUnitIds.includes(unitId) ? 'otherInvolved' : 'uninvolved'];
}

/** The caller's sight of the case: each part it has grants what the table gives that part. */
export function sightOf(principal: Principal, c: CaseParties): Sight {
  return relationshipsOf(principal, c)
    .map((r) => VISIBILITY[r])
    .reduce((a, b) => ({
      case: a.case || b.case,
      workOrder: a.workOrder || b.workOrder,
      contactInClear: a.contactInClear || b.contactInClear,
      triageHints: a.triageHints || b.triageHints,
    }));
}

/**
 * The unit a list must be narrowed to: none for a role that sees cases by its role (every case
 * it may see), the caller's unit for a unit or coordinator key (only cases its unit is in).
 */
export function listScope(principal: Principal): { unitId: string } | undefined {
  const byRole = BY_ROLE[principal.role];
  if (byRole && VISIBILITY[byRole].case) return undefined;
  // A key bound to no unit is in no case: narrowed to a unit id no case names.
  return { unitId: principal.unitId ?? '' };
}

/** `王五` → `王*`. A one-character name would be given away whole by its first character. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  return chars.length > 1 ? `${chars[0]}*` : '*';
}

/** `13700000000` → `137****0000`; a number too short to keep 3 and 4 digits and still hide some is hidden whole. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.length >= 8 ? `${digits.slice(0, 3)}****${digits.slice(-4)}` : '****';
}

/** The work order as recorded at intake, the contact in clear or masked. */
/** The columns of a case record that make up its work order. */
export type WorkOrderColumns = Pick<
  Appeal,
  | 'id'
  | 'channel'
  | 'appealType'
  | 'categoryCode'
  | 'content'
  | 'address'
  | 'districtId'
  | 'streetId'
  | 'receivedAt'
  | 'stabilityRisk'
  | 'attachments'
  | 'requesterName'
  | 'requesterPhone'
>;

export function workOrderOf(row: WorkOrderColumns, contactInClear: boolean): Static<typeof WorkOrderView> {
  const name = row.requesterName ?? undefined;
  const phone = row.requesterPhone ?? undefined;
  return {
    channel: row.channel as Channel,
    appealType: row.appealType as AppealType,
    categoryCode: row.categoryCode,
    content: row.content,
    ...(row.address ? { address: row.address } : {}),
    ...(row.districtId ? { districtId: row.districtId } : {}),
    ...(row.streetId ? { streetId: row.streetId } : {}),
    receivedAt: row.receivedAt.toISOString(),
    stabilityRisk: row.stabilityRisk,
    attachments: row.attachments,
    requester: {
      ...(name ? { name: contactInClear ? name : maskName(name) } : {}),
      ...(phone ? { phone: contactInClear ? phone : maskPhone(phone) } : {}),
    },
  };
}

const FIRST_LINE_MAX = 80;
/** A mobile number standing alone in free text (not part of a longer run of digits). */
const MOBILE = /(?<!\d)1[3-9]\d{9}(?!\d)/g;

/**
 * The content's first non-blank line, at most 80 characters, for lists and inboxes. Every
 * involved party reads those, so a mobile number the requester spoke into the content is
 * masked like the contact.
 */
export function contentFirstLine(content: string): string {
  const line = content.split(/\r\n|\r|\n/).find((l) => l.trim() !== '') ?? '';
  const chars = [...line.trim().replace(MOBILE, maskPhone)];
  return chars.length > FIRST_LINE_MAX ? chars.slice(0, FIRST_LINE_MAX).join('') : chars.join('');
}
