import {
  and,
  arrayContains,
  arrayOverlaps,
  asc,
  desc,
  eq,
  gt,
  isNull,
  lte,
  or,
  sql,
  type Placeholder,
} from 'drizzle-orm';
import { preparedPerHandle, type DbOrTx } from '../client.js';
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
  const found = await dispatchFacts(db, lookup);
  if (!found.category) throw new ReferenceDataError('UnknownCategory', `unknown category '${lookup.categoryCode}'`);

  const place = resolvePlace(found, lookup.districtId ?? null, lookup.streetId ?? null);
  const entries = found.entries
    .filter(
      (e) =>
        e.scope === 'city' ||
        (e.scope === 'district' && place.districtId !== null && e.districtId === place.districtId) ||
        (e.scope === 'street' && place.streetId !== null && e.streetId === place.streetId),
    )
    .sort((a, b) => SCOPE_RANK[a.scope] - SCOPE_RANK[b.scope]);

  const governmentId = place.districtId ? (found.governments[place.districtId] ?? null) : null;
  const resolve = (entry: DispatchCatalogueEntry): { route: DispatchRoute; unitId: string } | null => {
    if (entry.unitId) return { route: 'unit', unitId: entry.unitId };
    if (entry.unitKind === 'street_of_location' && place.streetId) return { route: 'street', unitId: place.streetId };
    return governmentId ? { route: 'district_government', unitId: governmentId } : null;
  };

  const sectorAuthorities = found.sectorAuthorities;
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

/** Everything a dispatch lookup decides with, read in one statement. */
interface DispatchFacts {
  category: boolean;
  /** The given street's district; undefined when the street is unknown or none was given. */
  streetDistrictId: string | undefined;
  district: boolean;
  /** The category's entries of the city, of the district given or the street's, of the street. */
  entries: DispatchCatalogueEntry[];
  /** The government of the district given and of the street's district, by district. */
  governments: Record<string, string>;
  sectorAuthorities: string[];
}

/**
 * One read for a dispatch lookup: the category and the place as the caller gave them, the
 * catalogue entries and the district governments of either district the place may resolve to,
 * and the sector authorities of the category (or one of its ancestors), ordered by id.
 */
async function dispatchFacts(db: DbOrTx, lookup: DispatchLookup): Promise<DispatchFacts> {
  const parts = lookup.categoryCode.split('.');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('.'));
  const streetId = lookup.streetId ?? null;
  const districtId = lookup.districtId ?? null;
  const { rows } = await db.execute<{
    category: boolean;
    street_district_id: string | null;
    district: boolean;
    entries: DispatchCatalogueEntry[];
    governments: Record<string, string>;
    sector_authorities: string[];
  }>(sql`
    with place as (
      select ${streets.districtId} as district_id from ${streets} where ${streets.id} = ${streetId}::text
      union all select ${districtId}::text where ${districtId}::text is not null)
    select exists (select 1 from ${categories} where ${categories.code} = ${lookup.categoryCode}) as category,
      (select ${streets.districtId} from ${streets} where ${streets.id} = ${streetId}::text) as street_district_id,
      exists (select 1 from ${districts} where ${districts.id} = ${districtId}::text) as district,
      (select coalesce(json_agg(json_build_object(
          'id', d.id, 'categoryCode', d.category_code, 'scope', d.scope, 'districtId', d.district_id,
          'streetId', d.street_id, 'unitId', d.unit_id, 'unitKind', d.unit_kind, 'policyCode', d.policy_code)), '[]')
        from ${dispatchCatalogue} d
        where d.category_code = ${lookup.categoryCode}
          and (d.scope = 'city'
            or (d.scope = 'district' and d.district_id in (select district_id from place))
            or (d.scope = 'street' and d.street_id = ${streetId}::text))) as entries,
      (select coalesce(json_object_agg(g.district_id, g.id), '{}')
        from (select distinct on (u.district_id) u.district_id, u.id from ${units} u
          where u.kind = 'district_government' and u.district_id in (select district_id from place)) g) as governments,
      array(select u.id from ${units} u
        where u.kind = 'sector_authority' and u.sectors && cast(${sql.param(prefixes, units.sectors)} as text[])
        order by u.id) as sector_authorities`);
  const row = rows[0]!;
  return {
    category: row.category,
    streetDistrictId: row.street_district_id ?? undefined,
    district: row.district,
    entries: row.entries,
    governments: row.governments,
    sectorAuthorities: row.sector_authorities,
  };
}

/** Checks the location against the directory; the street's district fills a missing district. */
function resolvePlace(
  found: Pick<DispatchFacts, 'streetDistrictId' | 'district'>,
  districtId: string | null,
  streetId: string | null,
): { districtId: string | null; streetId: string | null } {
  if (streetId) {
    const streetDistrictId = found.streetDistrictId;
    if (!streetDistrictId) throw new ReferenceDataError('UnknownStreet', `unknown street or township '${streetId}'`);
    if (districtId && districtId !== streetDistrictId) {
      throw new ReferenceDataError('StreetNotInDistrict', `street '${streetId}' is not in district '${districtId}'`);
    }
    return { districtId: streetDistrictId, streetId };
  }
  if (districtId && !found.district)
    throw new ReferenceDataError('UnknownDistrict', `unknown district '${districtId}'`);
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

/** What a work order's references are, in one read: the category and district exist, the street's district. */
export interface WorkOrderReferences {
  category: boolean;
  /** False when no district was given. */
  /** The category has categories under it (a group such as `utilities.water`, not one to file under). */
  categoryIsGroup: boolean;
  district: boolean;
  /** Undefined when the street is unknown or none was given. */
  streetDistrictId: string | undefined;
}

export async function workOrderReferences(
  db: DbOrTx,
  refs: { categoryCode: string; districtId?: string | undefined; streetId?: string | undefined },
): Promise<WorkOrderReferences> {
  const { rows } = await db.execute<{
    category: boolean;
    category_group: boolean;
    district: boolean;
    street_district_id: string | null;
  }>(sql`
    select exists (select 1 from ${categories} where ${categories.code} = ${refs.categoryCode}) as category,
      exists (select 1 from ${categories} where ${categories.parent} = ${refs.categoryCode}) as category_group,
      exists (select 1 from ${districts} where ${districts.id} = ${refs.districtId ?? null}) as district,
      (select ${streets.districtId} from ${streets} where ${streets.id} = ${refs.streetId ?? null}) as street_district_id`);
  const [row] = rows;
  return {
    category: row!.category,
    categoryIsGroup: row!.category_group,
    district: row!.district,
    streetDistrictId: row!.street_district_id ?? undefined,
  };
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

const policyVersion = preparedPerHandle((db) =>
  db
    .select()
    .from(deadlinePolicies)
    .where(
      and(eq(deadlinePolicies.code, sql.placeholder('code')), eq(deadlinePolicies.version, sql.placeholder('version'))),
    )
    .prepare('policy_version'),
);

export async function getPolicy(db: DbOrTx, code: string, version: number): Promise<DeadlinePolicy | undefined> {
  const [row] = await policyVersion(db).execute({ code, version });
  return row;
}

const inForceOn = (day: string | Placeholder) =>
  and(lte(deadlinePolicies.validFrom, day), or(isNull(deadlinePolicies.validTo), gt(deadlinePolicies.validTo, day)));

/** The latest version of a policy code in force on a day, if any. */
const policyVersionInForce = preparedPerHandle((db) =>
  db
    .select()
    .from(deadlinePolicies)
    .where(and(eq(deadlinePolicies.code, sql.placeholder('code')), inForceOn(sql.placeholder('day'))))
    .orderBy(desc(deadlinePolicies.version))
    .limit(1)
    .prepare('policy_in_force'),
);

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
  const [policy] = await policyVersionInForce(db).execute({ code: query.code, day });
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
