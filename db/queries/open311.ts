/**
 * What Open311's front door reads of the reference data: the services it offers (the leaf
 * categories of the catalogue, grouped by their parent) and the place an address names.
 */
import { and, asc, eq, notExists, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../client.js';
import { categories, districts, streets } from '../schema/reference.js';

export interface Service {
  code: string;
  name: string;
  /** The parent category's name, or null for a top-level leaf. */
  group: string | null;
}

/** Leaf categories (those the dispatch catalogue is written on), by code, or one of them. */
export async function listServices(db: DbOrTx, code?: string): Promise<Service[]> {
  const parent = alias(categories, 'parent');
  const child = alias(categories, 'child');
  return db
    .select({ code: categories.code, name: categories.name, group: parent.name })
    .from(categories)
    .leftJoin(parent, eq(parent.code, categories.parent))
    .where(
      and(
        notExists(
          db
            .select({ one: sql`1` })
            .from(child)
            .where(eq(child.parent, categories.code)),
        ),
        code === undefined ? undefined : eq(categories.code, code),
      ),
    )
    .orderBy(asc(categories.code));
}

/**
 * The district and street an address written in words names: the longest street or township
 * name it contains (one of a district it also names, when two districts have a street of that
 * name), else the district it names. Nothing when it names neither: triage picks the place.
 */
export async function placeInAddress(db: DbOrTx, address: string): Promise<{ districtId?: string; streetId?: string }> {
  const [allDistricts, allStreets] = await Promise.all([
    db.select({ id: districts.id, name: districts.name }).from(districts),
    db.select({ id: streets.id, name: streets.name, districtId: streets.districtId }).from(streets),
  ]);
  const district = allDistricts.find((d) => address.includes(d.name));
  const named = allStreets
    .filter((s) => address.includes(s.name))
    .sort((a, b) => b.name.length - a.name.length)
    .filter((s, _, all) => s.name === all[0]!.name);
  const street = named.length === 1 ? named[0] : named.find((s) => s.districtId === district?.id);
  if (street) return { districtId: street.districtId, streetId: street.id };
  return district ? { districtId: district.id } : {};
}
