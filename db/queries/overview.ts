/**
 * What a supervisor sees at a glance: the open cases that are overdue now, counted by district
 * and street (the supervisor page's chart). A case counts while it is open (`closed_at` is null)
 * and `overdue` holds in its record, the same flag `GET /v1/appeals?overdue=true` filters on.
 */
import { and, asc, count, desc, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { appeals } from '../schema/cases.js';
import { districts, streets } from '../schema/reference.js';

export interface OverdueStreet {
  /** null: the district's cases without a street. */
  streetId: string | null;
  name: string | null;
  count: number;
}

export interface OverdueDistrict {
  /** null: cases without a district (a city-wide matter). */
  districtId: string | null;
  name: string | null;
  count: number;
  /** Most overdue first, then by id. */
  streets: OverdueStreet[];
}

export interface OverdueOverview {
  total: number;
  /** Most overdue first, then by id. */
  districts: OverdueDistrict[];
}

export async function overdueByDistrictAndStreet(db: DbOrTx): Promise<OverdueOverview> {
  const n = count();
  const rows = await db
    .select({
      districtId: appeals.districtId,
      districtName: districts.name,
      streetId: appeals.streetId,
      streetName: streets.name,
      count: n,
    })
    .from(appeals)
    .leftJoin(districts, eq(districts.id, appeals.districtId))
    .leftJoin(streets, eq(streets.id, appeals.streetId))
    .where(and(eq(appeals.overdue, true), isNull(appeals.closedAt)))
    .groupBy(appeals.districtId, districts.name, appeals.streetId, streets.name)
    .orderBy(desc(n), asc(appeals.districtId), asc(appeals.streetId));

  const byDistrict = new Map<string | null, OverdueDistrict>();
  for (const r of rows) {
    let district = byDistrict.get(r.districtId);
    if (!district) {
      district = { districtId: r.districtId, name: r.districtName, count: 0, streets: [] };
      byDistrict.set(r.districtId, district);
    }
    district.count += r.count;
    district.streets.push({ streetId: r.streetId, name: r.streetName, count: r.count });
  }
  const list = [...byDistrict.values()].sort(
    (a, b) => b.count - a.count || (a.districtId ?? '').localeCompare(b.districtId ?? ''),
  );
  return { total: list.reduce((sum, d) => sum + d.count, 0), districts: list };
}
