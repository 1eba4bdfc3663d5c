/**
 * The month's counts per unit that PostgreSQL keeps beside the assessment rows (migration 0010):
 * after inserts, an exemption granted, a row removed and a row moved to another unit, they equal
 * the counts recomputed from the rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { insertAssessments } from './support/assessmentRows.js';
import { assessments } from '../db/schema/index.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const COLUMNS = 'rows, exempt, invalid_callbacks, valid, contacted, resolved, satisfied, basically_satisfied';

/** The kept counts and the counts recomputed from the rows, each as `month unit: counts` lines. */
async function keptAndRecomputed(): Promise<[string[], string[]]> {
  const lines = (rows: Record<string, unknown>[]) =>
    rows.map(
      (r) =>
        `${String(r.month)} ${String(r.unit_id)}: ${COLUMNS.split(', ')
          .map((c) => r[c])
          .join(' ')}`,
    );
  const kept = await database.db.execute(
    sql.raw(`select month, unit_id, ${COLUMNS} from assessment_counts where rows <> 0 order by month, unit_id`),
  );
  const recomputed = await database.db.execute(
    sql.raw(`select assessment_month as month, unit_id, count(*)::int as rows,
      count(*) filter (where exempt)::int as exempt,
      count(*) filter (where not exempt and not callback_valid)::int as invalid_callbacks,
      count(*) filter (where not exempt and callback_valid)::int as valid,
      count(*) filter (where not exempt and callback_valid and contacted)::int as contacted,
      count(*) filter (where not exempt and callback_valid and resolved)::int as resolved,
      count(*) filter (where not exempt and callback_valid and satisfaction = 'satisfied')::int as satisfied,
      count(*) filter (where not exempt and callback_valid and satisfaction = 'basically_satisfied')::int as basically_satisfied
      from assessments group by assessment_month, unit_id order by 1, 2`),
  );
  return [lines(kept.rows), lines(recomputed.rows)];
}

describe('the counts kept per month and unit', () => {
  it('follow every insert, change and removal of the rows', async () => {
    const ids = await insertAssessments(database.db, 'counts', [
      { unit: 'beijing-water', at: '2026-08-03T02:00:00Z', answers: [true, true, 'satisfied'] },
      { unit: 'beijing-water', at: '2026-08-04T02:00:00Z', answers: [true, false, 'basically_satisfied'] },
      { unit: 'beijing-water', at: '2026-08-05T02:00:00Z', answers: 'invalid' },
      { unit: 'state-grid-beijing', at: '2026-08-06T02:00:00Z', answers: [false, false, 'unsatisfied'] },
      { unit: 'state-grid-beijing', at: '2026-08-31T16:30:00Z', answers: [true, true, 'satisfied'] },
      { unit: 'beijing-gas', at: '2026-08-07T02:00:00Z', answers: [true, true, 'satisfied'], exempt: true },
    ]);
    let [kept, recomputed] = await keptAndRecomputed();
    expect(kept).toEqual(recomputed);
    // 31 August 16:30 UTC is 1 September in Beijing: its own month.
    expect(kept).toContain('2026-09 state-grid-beijing: 1 0 0 1 1 1 1 0');
    expect(kept).toContain('2026-08 beijing-water: 3 0 1 2 2 1 1 1');

    // An exemption granted, a row moved to another unit, a row removed, a change that counts nothing.
    const row = (id: string) => and(eq(assessments.appealId, id), eq(assessments.unitId, 'beijing-water'));
    await database.db.update(assessments).set({ exempt: true }).where(row(ids[0]!));
    await database.db.update(assessments).set({ unitId: 'beijing-gas' }).where(row(ids[1]!));
    await database.db.delete(assessments).where(row(ids[2]!));
    await database.db
      .update(assessments)
      .set({ exemptReason: 'noted' })
      .where(and(eq(assessments.appealId, ids[3]!), eq(assessments.unitId, 'state-grid-beijing')));
    [kept, recomputed] = await keptAndRecomputed();
    expect(kept).toEqual(recomputed);
    expect(kept).toContain('2026-08 beijing-water: 1 1 0 0 0 0 0 0');
    expect(kept).toContain('2026-08 beijing-gas: 2 1 0 1 1 0 0 1');
  });
});
