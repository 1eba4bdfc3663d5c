/**
 * What a body refers to must exist and fit, before anything is sent to a workflow: a unit the
 * directory does not know, a street that summons a street, or a merge into a closed appeal
 * would otherwise enter the case's history (or fail deep inside it). Each refusal is a 400
 * naming the field, e.g. `body/unitId: unknown unit no-such-unit`.
 */
import type { Static } from '@sinclair/typebox';
import type { ActionName } from '../domain/actions.js';
import type { HandlingUnitKind } from '../domain/appeal.js';
import type { DbOrTx } from '../db/client.js';
import { getAppealRecord } from '../db/queries/cases.js';
import { appealStage, findHandlingUnit, findHandlingUnits, type HandlingUnit } from '../db/queries/directory.js';
import { knowledgeEntryExists } from '../db/queries/knowledge.js';
import { findAppealIdByWorkOrderNo } from '../db/queries/workOrderNumbers.js';
import { isWorkOrderNo } from '../domain/workOrderNumbers.js';
import { HOTLINE_CENTER_UNIT_ID, sectorAuthoritiesFor, workOrderReferences } from '../db/queries/reference.js';
import { HttpError } from './errors.js';
import type { StartAppealBody } from './schemas.js';

const refused = (field: string, message: string) => new HttpError(400, `body/${field}: ${message}`, `body/${field}`);

/** The whistle summons departments and enterprises (Art. 18), never a street or a government. */
const SUMMONABLE: readonly HandlingUnitKind[] = ['city_department', 'district_department', 'public_service_enterprise'];
/** Who coordinates (Art. 22): the district government, a sector authority, or the city-level office. */
const COORDINATING: readonly HandlingUnitKind[] = ['district_government', 'sector_authority'];
const CITY_JOINT_OFFICE_ID = 'city-joint-office';
/** A reached requester's answers (Art. 24), in the order the refusal names the first one sent. */
const CALLBACK_ANSWERS = ['contacted', 'resolved', 'satisfaction'] as const;
type CallbackAnswerField = (typeof CALLBACK_ANSWERS)[number];

/** A unit that can lead or co-handle: known to the directory, and not the center itself. */
async function handlingUnit(db: DbOrTx, field: string, unitId: string): Promise<HandlingUnit> {
  const unit = await findHandlingUnit(db, unitId);
  if (!unit) throw refused(field, `unknown unit ${unitId}`);
  if (unit.kind === 'hotline_center' || unit.id === HOTLINE_CENTER_UNIT_ID)
    throw refused(field, `${unitId} is the hotline center, not a handling unit`);
  return unit;
}

/**
 * A Beijing unit that handles an order itself: not the central/military liaison, which forwards
 * matters to organs outside Beijing's system (Art. 23) and is not assessed. A central matter
 * reaches it by its category (a triage dispatch the catalogue routes, on the liaison's
 * follow-up policy), never by being named: a lead, a co-handler and a re-dispatch name a
 * Beijing unit.
 */
async function beijingUnit(db: DbOrTx, field: string, unitId: string, what: string): Promise<HandlingUnit> {
  const unit = await handlingUnit(db, field, unitId);
  if (unit.kind === 'central_military_liaison')
    throw refused(
      field,
      `${unitId} is the central/military liaison, which forwards matters at triage and takes no part in ${what}`,
    );
  return unit;
}

/**
 * A district government acts for the appeals of its own district (Art. 14, 22), and a street or
 * township handles those of its own ground: one of another district neither leads nor
 * coordinates the case (its supervision and escalation would go to the wrong government). An
 * appeal whose district is unknown names none, so any may be chosen for it.
 */
async function ownDistrict(context: Context, field: string, unit: HandlingUnit): Promise<void> {
  if (!DISTRICT_BOUND.includes(unit.kind) || !unit.districtId) return;
  const { districtId } = await recordOf(context);
  if (!districtId || unit.districtId === districtId) return;
  const what = unit.kind === 'district_government' ? 'governs district' : `is a ${unit.kind} of district`;
  throw refused(field, `${unit.id} ${what} ${unit.districtId}; this appeal lies in ${districtId}`);
}

/** The kinds of unit bound to one district's appeals. */
const DISTRICT_BOUND: readonly string[] = ['district_government', 'street', 'township'];

/** A unit that leads the case from now on: a Beijing unit, a district government only of the appeal's district. */
async function leadUnit(context: Context, field: string, unitId: string, what: string): Promise<void> {
  await ownDistrict(context, field, await beijingUnit(context.db, field, unitId, what));
}

/**
 * Another appeal the body names, by its id or its work order number (as paths take it): answers
 * its id, which is what the case keeps.
 */
async function otherAppeal(
  db: DbOrTx,
  field: string,
  idOrNo: string,
  self: string,
  { open }: { open: boolean },
): Promise<{ appealId: string; workOrderNo: string | null }> {
  const appealId = isWorkOrderNo(idOrNo) ? await findAppealIdByWorkOrderNo(db, idOrNo) : idOrNo;
  if (appealId === undefined) throw refused(field, `no appeal has the work order number ${idOrNo}`);
  if (appealId === self) throw refused(field, 'an appeal cannot refer to itself');
  const other = await appealStage(db, appealId);
  if (other === undefined) throw refused(field, `unknown appeal ${idOrNo}`);
  if (open && other.stage === 'closed') throw refused(field, `appeal ${idOrNo} is closed`);
  return { appealId, workOrderNo: other.workOrderNo };
}

/** What the checks read of the appeal's record. */
interface AppealFacts {
  districtId: string | null;
  categoryCode: string;
  leadUnitId: string | null;
}

interface Context {
  db: DbOrTx;
  /** The appeal the action is sent to. */
  appealId: string;
  /** Its record, when the route has read it already (undefined: read here, once, by a check that needs it). */
  record?: AppealFacts;
}

/**
 * The appeal's record as the checks need it; an appeal without one yet (just started) has
 * nothing to check against, and its workflow answers.
 */
async function recordOf(context: Context): Promise<Partial<AppealFacts>> {
  context.record ??= await getAppealRecord(context.db, context.appealId);
  return context.record ?? {};
}

/** The triage fields that only one closing disposition takes (Art. 12); a knowledge entry may back any answer. */
const DISPOSITION_OF_FIELD = {
  emergencyNumber: 'emergency_transfer',
  legalChannel: 'legal_channel',
  originalAppealId: 'repeat',
} as const;

// Each check reads only the fields it names; the route's schema has already shaped the body.
const CHECKS = {
  triageAppeal: async (
    context: Context,
    body: {
      disposition: string;
      unitId?: string;
      originalAppealId?: string;
      originalWorkOrderNo?: string;
      knowledgeEntryId?: string;
    },
  ) => {
    const { db, appealId } = context;
    // A field of one closing disposition sent with another would silently go nowhere.
    for (const [field, disposition] of Object.entries(DISPOSITION_OF_FIELD))
      if ((body as Record<string, unknown>)[field] !== undefined && body.disposition !== disposition)
        throw refused(field, `belongs to disposition ${disposition}, not ${body.disposition}`);
    if (body.unitId)
      await leadUnit(
        context,
        'unitId',
        body.unitId,
        'a dispatch that names it (a central or military matter reaches it by its category: dispatch without unitId)',
      );
    // The workflow would only say it "must name another appeal".
    if (body.disposition === 'repeat' && !body.originalAppealId)
      throw refused(
        'originalAppealId',
        'is required for a repeat: the original appeal, by its id or work order number',
      );
    if (body.originalAppealId) {
      const original = await otherAppeal(db, 'originalAppealId', body.originalAppealId, appealId, { open: false });
      body.originalAppealId = original.appealId;
      // A repeat's requester is told the number of the original they can follow (Art. 12).
      if (body.disposition === 'repeat' && original.workOrderNo) body.originalWorkOrderNo = original.workOrderNo;
    }
    if (body.knowledgeEntryId && !(await knowledgeEntryExists(db, body.knowledgeEntryId)))
      throw refused('knowledgeEntryId', `unknown knowledge-base entry ${body.knowledgeEntryId}`);
  },
  giveConsultationOpinion: async ({ db }: Context, body: { proposedLeadUnitId?: string }) => {
    if (body.proposedLeadUnitId) await handlingUnit(db, 'proposedLeadUnitId', body.proposedLeadUnitId);
  },
  concludeConsultation: async (context: Context, body: { leadUnitId: string }) =>
    leadUnit(context, 'leadUnitId', body.leadUnitId, 'a consultation among Beijing units'),
  decideObjection: async (context: Context, body: { decision: string; newUnitId?: string }) => {
    // Upheld, the same unit handles it (Art. 14): a new unit named with it would silently go nowhere.
    if (body.newUnitId && body.decision !== 'redispatch')
      throw refused('newUnitId', 'only a re-dispatch names a new unit; an upheld dispatch stays with the same unit');
    if (body.newUnitId) await leadUnit(context, 'newUnitId', body.newUnitId, 'a re-dispatch');
  },
  addCoHandler: async (context: Context, body: { unitId: string }) => {
    await beijingUnit(context.db, 'unitId', body.unitId, 'co-handling');
    if (body.unitId === (await recordOf(context)).leadUnitId)
      throw refused('unitId', `${body.unitId} leads this appeal: the lead unit cannot be its own co-handler`);
  },
  blowWhistle: async ({ db }: Context, body: { departmentIds: string[] }) => {
    const found = await findHandlingUnits(db, body.departmentIds);
    body.departmentIds.forEach((id, i) => {
      const unit = found.get(id);
      if (!unit) throw refused(`departmentIds/${i}`, `unknown unit ${id}`);
      if (!SUMMONABLE.includes(unit.kind))
        throw refused(`departmentIds/${i}`, `${id} is a ${unit.kind}, not a department the whistle can summon`);
    });
  },
  requestCoordination: async (context: Context, body: { coordinatorId: string }) => {
    const id = body.coordinatorId;
    const unit = await findHandlingUnit(context.db, id);
    if (!unit) throw refused('coordinatorId', `unknown unit ${id}`);
    const cityOffice = unit.kind === 'city_department' && unit.id === CITY_JOINT_OFFICE_ID;
    if (!COORDINATING.includes(unit.kind) && !cityOffice)
      throw refused(
        'coordinatorId',
        `${id} is a ${unit.kind}, not a district government, sector authority or the city joint office`,
      );
    // Art. 22: a district government coordinates the appeals of its own district,
    await ownDistrict(context, 'coordinatorId', unit);
    // a sector authority those of its sectors: the ones the escalation would go to (db/queries/escalation.ts).
    if (unit.kind === 'sector_authority') {
      const { categoryCode } = await recordOf(context);
      if (categoryCode && !(await sectorAuthoritiesFor(context.db, categoryCode)).includes(id))
        throw refused('coordinatorId', `${id} does not cover ${categoryCode}`);
    }
  },
  recordCallback: async (
    _context: Context,
    body: { reached: boolean } & Partial<Record<CallbackAnswerField, unknown>>,
  ) => {
    // An unreached requester answered nothing: answers sent with it would be dropped without a word.
    if (body.reached) return;
    const given = CALLBACK_ANSWERS.find((field) => body[field] !== undefined);
    if (given) throw refused(given, 'only with reached true: an unreached requester gives no answers');
  },
  mergeAppeal: async ({ db, appealId }: Context, body: { originalAppealId: string; originalWorkOrderNo?: string }) => {
    const original = await otherAppeal(db, 'originalAppealId', body.originalAppealId, appealId, { open: true });
    body.originalAppealId = original.appealId;
    // The requester is told the number they can quote for the original.
    if (original.workOrderNo) body.originalWorkOrderNo = original.workOrderNo;
  },
} satisfies Partial<Record<ActionName, (context: Context, body: never) => Promise<void>>>;

/** The refusal of an action's references, or undefined when they all exist and fit. */
export async function referenceRefusal(
  db: DbOrTx,
  action: ActionName,
  appealId: string,
  body: unknown,
  record?: AppealFacts,
): Promise<HttpError | undefined> {
  const check = (CHECKS as Partial<Record<ActionName, (context: Context, body: unknown) => Promise<void>>>)[action];
  if (!check) return undefined;
  try {
    await check({ db, appealId, ...(record ? { record } : {}) }, body);
    return undefined;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
}

/** Clocks of intake systems drift a little; a start a bit "ahead" of ours is still now. */
const CLOCK_SKEW_MS = 2 * 60_000;
/**
 * How long ago an appeal may have come in when intake records it (a call taken while a system
 * was down, entered later). Its deadlines count from it, and its work order number is of its day.
 */
const MAX_INTAKE_AGE_DAYS = 30;
const MAX_INTAKE_AGE_MS = MAX_INTAKE_AGE_DAYS * 86_400_000;

/**
 * A work order's references and instant. Answers the district the appeal lies in: the one given,
 * or the street's when only the street was (so lists by district find it).
 */
export async function checkWorkOrder(
  db: DbOrTx,
  body: Static<typeof StartAppealBody>,
  now = new Date(),
): Promise<{ districtId?: string }> {
  // One read for all three; the refusals keep their order (category, district, street).
  const found = await workOrderReferences(db, body);
  if (!found.category) throw refused('categoryCode', `unknown category ${body.categoryCode}`);
  if (found.categoryIsGroup)
    throw refused('categoryCode', `${body.categoryCode} is a group of categories: name one of the categories in it`);
  if (body.districtId && !found.district) throw refused('districtId', `unknown district ${body.districtId}`);
  let districtId = body.districtId;
  if (body.streetId) {
    const streetIn = found.streetDistrictId;
    if (!streetIn) throw refused('streetId', `unknown street ${body.streetId}`);
    if (districtId && streetIn !== districtId)
      throw refused('streetId', `street ${body.streetId} is not in district ${districtId}`);
    districtId = streetIn;
  }
  if (body.receivedAt && Date.parse(body.receivedAt) > now.getTime() + CLOCK_SKEW_MS)
    throw refused('receivedAt', `${body.receivedAt} is in the future`);
  if (body.receivedAt && Date.parse(body.receivedAt) < now.getTime() - MAX_INTAKE_AGE_MS)
    throw refused(
      'receivedAt',
      `${body.receivedAt} is more than ${MAX_INTAKE_AGE_DAYS} days ago: an intake records an appeal as it comes in`,
    );
  return districtId ? { districtId } : {};
}
