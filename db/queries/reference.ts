import { and, arrayContains, arrayOverlaps, asc, desc, eq, gt, isNull, lte, or } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import {
  categories,
  deadlinePolicies,
  dispatchCatalogue,
  districts,
  streets,
  units,
  type DeadlinePolicy,
  type DispatchCatalogueEntry,
} from '../schema/reference.js';
import type { AppealType, PolicyWindows, UnitKind } from '../seed/data/types.js';

/** Every window a deadline policy defines (see PolicyWindows in db/seed/data/types.ts). */
export const POLICY_WINDOW_NAMES = [
  'acceptance',
  'objectionReview',
  'consultation',
  'coHandler',
  'handling',
  'extension',
  'coordinationOpinion',
  'callbackAttempt',
  'callbackWindow',
  'whistleReportIn',
  'centralFollowUp',
] as const satisfies readonly (keyof PolicyWindows)[];

/** The policy an appeal gets when no catalogue entry names one (the district government or the center then owns it). */
export const FALLBACK_POLICY_CODE = 'general';

/** The hotline center: owner of the manual dispatch queue. */
export const HOTLINE_CENTER_UNIT_ID = 'hotline-center';

export type ReferenceErrorType =
  | 'UnknownCategory'
  | 'UnknownDistrict'
  | 'UnknownStreet'
  | 'StreetNotInDistrict'
  | 'UnknownPolicy'
  | 'NoPolicyInForce'
  | 'NoPolicyForAppealType';

/** A lookup that cannot succeed with these inputs: retrying will not help. */
export class ReferenceDataError extends Error {
  override name = 'ReferenceDataError';
  constructor(
    readonly type: ReferenceErrorType,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------
// Dispatch catalogue

export type DispatchRoute = 'unit' | 'street' | 'district_government' | 'manual_queue';

export interface DispatchLookup {
  categoryCode: string;
  districtId?: string | null;
  streetId?: string | null;
}

export interface DispatchDecision {
  /**
   * 'unit': a named unit; 'street': the street/township of the location (its district
   * government is notified, Art. 14); 'district_government': the district's fallback owner
   * (兜底); 'manual_queue': nothing matched and the district is unknown, the center decides.
   */
  route: DispatchRoute;
  /** The lead unit (a street id is its unit id); null for the manual queue. */
  leadUnitId: string | null;
  /** Units told to supervise: the district government when a street/township leads. */
  notifyUnitIds: string[];
  /**
   * Units for a consultation (会商): the lead, the units of the less specific entries that
   * also matched, and the sector authorities covering the category.
   */
  candidateUnitIds: string[];
  policyCode: string;
  /** Scope of the catalogue entry that decided; null when none matched. */
  matchedScope: DispatchCatalogueEntry['scope'] | null;
  /** The district the location resolved to (from the street when only the street was given). */
  districtId: string | null;
}

const SCOPE_RANK = { street: 0, district: 1, city: 2 } as const;

/**
 * The dispatch catalogue's answer for a category at a place: the most specific matching
 * entry wins (street over district over city). A `street_of_location` entry goes to the
 * street/township of the appeal (its id is its unit id); a `district_government` entry, and
 * no entry at all, go to the district government when the district is known; otherwise the
 * appeal waits in the hotline center's manual queue.
 */
export async function lookupDispatch(db: DbOrTx, lookup: DispatchLookup): Promise<DispatchDecision> {
  const [category] = await db
    .select({ code: categories.code })
    .from(categories)
    .where(eq(categories.code, lookup.categoryCode));
  if (!category) throw new ReferenceDataError('UnknownCategory', `unknown category '${lookup.categoryCode}'`);

  const place = await resolvePlace(db, lookup.districtId ?? null, lookup.streetId ?? null);
  const scopes = [eq(dispatchCatalogue.scope, 'city')];
  if (place.districtId)
    scopes.push(and(eq(dispatchCatalogue.scope, 'district'), eq(dispatchCatalogue.districtId, place.districtId))!);
  if (place.streetId)
    scopes.push(and(eq(dispatchCatalogue.scope, 'street'), eq(dispatchCatalogue.streetId, place.streetId))!);
  const entries = (
    await db
      .select()
      .from(dispatchCatalogue)
      .where(and(eq(dispatchCatalogue.categoryCode, lookup.categoryCode), or(...scopes)))
  ).sort((a, b) => SCOPE_RANK[a.scope] - SCOPE_RANK[b.scope]);

  const governmentId = place.districtId ? await districtGovernmentId(db, place.districtId) : null;
  const resolve = (entry: DispatchCatalogueEntry): { route: DispatchRoute; unitId: string } | null => {
    if (entry.unitId) return { route: 'unit', unitId: entry.unitId };
    if (entry.unitKind === 'street_of_location' && place.streetId) return { route: 'street', unitId: place.streetId };
    return governmentId ? { route: 'district_government', unitId: governmentId } : null;
  };

  const sectorAuthorities = await sectorAuthoritiesFor(db, lookup.categoryCode);
  const [winner] = entries;
  const resolved = winner
    ? resolve(winner)
    : governmentId
      ? { route: 'district_government' as const, unitId: governmentId }
      : null;
  const leadUnitId = resolved?.unitId ?? null;
  const others = entries.slice(1).map((e) => resolve(e)?.unitId);
  return {
    route: resolved?.route ?? 'manual_queue',
    leadUnitId,
    notifyUnitIds: resolved?.route === 'street' && governmentId ? [governmentId] : [],
    candidateUnitIds: unique([leadUnitId, ...others, ...sectorAuthorities]),
    policyCode: winner?.policyCode ?? FALLBACK_POLICY_CODE,
    matchedScope: winner?.scope ?? null,
    districtId: place.districtId,
  };
}

/** Checks the location against the directory; the street's district fills a missing district. */
async function resolvePlace(
  db: DbOrTx,
  districtId: string | null,
  streetId: string | null,
): Promise<{ districtId: string | null; streetId: string | null }> {
  if (streetId) {
    const [street] = await db.select({ districtId: streets.districtId }).from(streets).where(eq(streets.id, streetId));
    if (!street) throw new ReferenceDataError('UnknownStreet', `unknown street or township '${streetId}'`);
    if (districtId && districtId !== street.districtId) {
      throw new ReferenceDataError('StreetNotInDistrict', `street '${streetId}' is not in district '${districtId}'`);
    }
    return { districtId: street.districtId, streetId };
  }
  if (districtId) {
    const [district] = await db.select({ id: districts.id }).from(districts).where(eq(districts.id, districtId));
    if (!district) throw new ReferenceDataError('UnknownDistrict', `unknown district '${districtId}'`);
  }
  return { districtId, streetId: null };
}

/** The district's government: fallback owner (兜底) and first escalation tier of its streets. */
export async function districtGovernmentId(db: DbOrTx, districtId: string): Promise<string | null> {
  const [row] = await db
    .select({ id: units.id })
    .from(units)
    .where(and(eq(units.kind, 'district_government'), eq(units.districtId, districtId)));
  return row?.id ?? null;
}

/** Sector authorities (行业主管部门) whose sectors are the category or one of its ancestors. */
export async function sectorAuthoritiesFor(db: DbOrTx, categoryCode: string): Promise<string[]> {
  const parts = categoryCode.split('.');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('.'));
  const rows = await db
    .select({ id: units.id })
    .from(units)
    .where(and(eq(units.kind, 'sector_authority'), arrayOverlaps(units.sectors, prefixes)))
    .orderBy(asc(units.id));
  return rows.map((r) => r.id);
}

function unique(ids: (string | null | undefined)[]): string[] {
  return [...new Set(ids.filter((id): id is string => typeof id === 'string'))];
}

// ---------------------------------------------------------------------------------------
// Handling units

export interface HandlingUnit {
  id: string;
  name: string;
  kind: UnitKind | 'street' | 'township';
  districtId: string | null;
}

/** Any handling unit by id: a unit of the directory, or a street/township (whose id is its unit id). */
export async function getHandlingUnit(db: DbOrTx, unitId: string): Promise<HandlingUnit | undefined> {
  const [unit] = await db
    .select({ id: units.id, name: units.name, kind: units.kind, districtId: units.districtId })
    .from(units)
    .where(eq(units.id, unitId));
  if (unit) return unit;
  const [street] = await db
    .select({
      id: streets.id,
      name: streets.name,
      kind: streets.kind,
      districtId: streets.districtId,
    })
    .from(streets)
    .where(eq(streets.id, unitId));
  return street;
}

// ---------------------------------------------------------------------------------------
// Existence checks (validating a caller's references before anything is written)

export async function categoryExists(db: DbOrTx, code: string): Promise<boolean> {
  const [row] = await db.select({ code: categories.code }).from(categories).where(eq(categories.code, code));
  return row !== undefined;
}

export async function districtExists(db: DbOrTx, districtId: string): Promise<boolean> {
  const [row] = await db.select({ id: districts.id }).from(districts).where(eq(districts.id, districtId));
  return row !== undefined;
}

export async function streetExists(db: DbOrTx, streetId: string): Promise<boolean> {
  const [row] = await db.select({ id: streets.id }).from(streets).where(eq(streets.id, streetId));
  return row !== undefined;
}

// ---------------------------------------------------------------------------------------
// Deadline policies

const HOUR_MS = 3_600_000;

/** The Beijing (UTC+8, no DST) civil date of an instant, as YYYY-MM-DD. */
export function beijingDate(at: Date): string {
  return new Date(at.getTime() + 8 * HOUR_MS).toISOString().slice(0, 10);
}

export async function getPolicy(db: DbOrTx, code: string, version: number): Promise<DeadlinePolicy | undefined> {
  const [row] = await db
    .select()
    .from(deadlinePolicies)
    .where(and(eq(deadlinePolicies.code, code), eq(deadlinePolicies.version, version)));
  return row;
}

const inForceOn = (day: string) =>
  and(lte(deadlinePolicies.validFrom, day), or(isNull(deadlinePolicies.validTo), gt(deadlinePolicies.validTo, day)));

/**
 * The policy version in force at `at` (its Beijing date: valid_from <= date < valid_to).
 * When that version does not cover the appeal type, the policy in force that lists the type
 * explicitly applies instead (e.g. 'suggestion'); the result's `code` then differs from
 * the one asked for.
 */
export async function policyInForce(
  db: DbOrTx,
  query: { code: string; appealType: AppealType; at: Date },
): Promise<DeadlinePolicy> {
  const day = beijingDate(query.at);
  const [policy] = await db
    .select()
    .from(deadlinePolicies)
    .where(and(eq(deadlinePolicies.code, query.code), inForceOn(day)))
    .orderBy(desc(deadlinePolicies.version))
    .limit(1);
  if (!policy) {
    const [known] = await db
      .select({ code: deadlinePolicies.code })
      .from(deadlinePolicies)
      .where(eq(deadlinePolicies.code, query.code))
      .limit(1);
    throw known
      ? new ReferenceDataError('NoPolicyInForce', `no version of policy '${query.code}' is in force on ${day}`)
      : new ReferenceDataError('UnknownPolicy', `unknown deadline policy '${query.code}'`);
  }
  if (policy.appealTypes === null || policy.appealTypes.includes(query.appealType)) return policy;

  const [explicit] = await db
    .select()
    .from(deadlinePolicies)
    .where(and(arrayContains(deadlinePolicies.appealTypes, [query.appealType]), inForceOn(day)))
    .orderBy(asc(deadlinePolicies.code), desc(deadlinePolicies.version))
    .limit(1);
  if (!explicit) {
    throw new ReferenceDataError(
      'NoPolicyForAppealType',
      `policy '${query.code}' does not cover '${query.appealType}' appeals and no policy in force on ${day} lists them`,
    );
  }
  return explicit;
}
