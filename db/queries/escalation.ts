/**
 * Who a case escalates to (分级协调, Art. 22), and what the workflow needs to know about a
 * unit to decide that. Read-only.
 */
import type { DbOrTx } from '../client.js';
import type { HandlingUnitKind } from '../../domain/appeal.js';
import { districtGovernmentId, getHandlingUnit, sectorAuthoritiesFor } from './reference.js';

export interface UnitDescription {
  id: string;
  name: string;
  kind: HandlingUnitKind;
  districtId: string | null;
  /** The government of the unit's district (a district government is its own); null for city-level units. */
  districtGovernmentId: string | null;
}

/** Any handling unit (a street or township by its id) with its district government; undefined when unknown. */
export async function describeUnit(db: DbOrTx, unitId: string): Promise<UnitDescription | undefined> {
  const unit = await getHandlingUnit(db, unitId);
  if (!unit) return undefined;
  return {
    id: unit.id,
    name: unit.name,
    kind: unit.kind,
    districtId: unit.districtId,
    districtGovernmentId: unit.districtId ? await districtGovernmentId(db, unit.districtId) : null,
  };
}

export interface EscalationCase {
  categoryCode: string;
  districtId?: string | null;
  streetId?: string | null;
  leadUnitId: string;
  /** The last tier, above district governments and sector authorities (the policy's). */
  cityEscalationUnitId: string;
  /** How many tiers the policy allows. */
  levels: number;
}

/**
 * The ordered authorities a case escalates to. Tier 1: a street's or township's case goes to
 * its district government; any other lead's to the sector authority covering the category
 * (the first by id), else to the government of the case's district. Then the city level.
 * The lead never escalates to itself; the chain is cut to the policy's levels.
 */
export async function escalationTiers(db: DbOrTx, c: EscalationCase): Promise<string[]> {
  const lead = await getHandlingUnit(db, c.leadUnitId);
  let first: string | null = null;
  if (lead?.kind === 'street' || lead?.kind === 'township') {
    first = await districtGovernmentId(db, lead.districtId!);
  } else {
    const sectors = (await sectorAuthoritiesFor(db, c.categoryCode)).filter((id) => id !== c.leadUnitId);
    first = sectors[0] ?? null;
    if (!first) {
      const district = await caseDistrict(db, c, lead?.districtId ?? null);
      first = district ? await districtGovernmentId(db, district) : null;
    }
  }
  const tiers = [...new Set([first, c.cityEscalationUnitId])].filter(
    (id): id is string => id !== null && id !== c.leadUnitId,
  );
  return tiers.slice(0, Math.max(0, c.levels));
}

/** The case's district: as given, else the street's, else the lead unit's own district. */
async function caseDistrict(db: DbOrTx, c: EscalationCase, leadDistrictId: string | null): Promise<string | null> {
  if (c.districtId) return c.districtId;
  if (c.streetId) {
    const street = await getHandlingUnit(db, c.streetId);
    if (street?.districtId) return street.districtId;
  }
  return leadDistrictId;
}
