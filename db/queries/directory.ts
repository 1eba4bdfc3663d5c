/**
 * Look-ups the API makes to check a caller's references (units, streets, appeals) before an
 * action or a start is sent to the workflow: read-only, one small query each.
 */
import { eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { appeals } from '../schema/cases.js';
import { categories, districts, streets, units } from '../schema/reference.js';
import { getHandlingUnit, type HandlingUnit } from './reference.js';

export type { HandlingUnit };

/** A handling unit by id (directory unit, street or township), or undefined. */
export const findHandlingUnit = (db: DbOrTx, unitId: string): Promise<HandlingUnit | undefined> =>
  getHandlingUnit(db, unitId);

/**
 * Several handling units at once, by id (for a list such as the whistle's departments): the
 * map holds only those that exist.
 */
export async function findHandlingUnits(db: DbOrTx, unitIds: readonly string[]): Promise<Map<string, HandlingUnit>> {
  const ids = [...new Set(unitIds)];
  if (ids.length === 0) return new Map();
  const [directory, places] = await Promise.all([
    db
      .select({ id: units.id, name: units.name, kind: units.kind, districtId: units.districtId })
      .from(units)
      .where(inArray(units.id, ids)),
    db
      .select({ id: streets.id, name: streets.name, kind: streets.kind, districtId: streets.districtId })
      .from(streets)
      .where(inArray(streets.id, ids)),
  ]);
  return new Map<string, HandlingUnit>([...directory, ...places].map((u) => [u.id, u]));
}

/** An appeal's current stage as its case record says, or undefined when there is no such appeal. */
/** An appeal's stage and the work order number it is known by; undefined when there is no such appeal. */
export async function appealStage(
  db: DbOrTx,
  appealId: string,
): Promise<{ stage: string; workOrderNo: string | null } | undefined> {
  const [row] = await db
    .select({ stage: appeals.stage, workOrderNo: appeals.workOrderNo })
    .from(appeals)
    .where(eq(appeals.id, appealId));
  return row;
}

/** The names of units (directory units, streets and townships), districts and categories, by id: those that exist. */
export async function partyNames(
  db: DbOrTx,
  ids: { unit: readonly string[]; district: readonly string[]; category: readonly string[] },
): Promise<{ unit: Map<string, string>; district: Map<string, string>; category: Map<string, string> }> {
  const [found, places, kinds] = await Promise.all([
    findHandlingUnits(db, ids.unit),
    ids.district.length
      ? db
          .select({ id: districts.id, name: districts.name })
          .from(districts)
          .where(inArray(districts.id, [...new Set(ids.district)]))
      : [],
    ids.category.length
      ? db
          .select({ id: categories.code, name: categories.name })
          .from(categories)
          .where(inArray(categories.code, [...new Set(ids.category)]))
      : [],
  ]);
  return {
    unit: new Map([...found].map(([id, u]) => [id, u.name])),
    district: new Map(places.map((d) => [d.id, d.name])),
    category: new Map(kinds.map((c) => [c.id, c.name])),
  };
}
