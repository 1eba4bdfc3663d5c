/**
 * Freezing a month's rankings (Art. 25) on a real PostgreSQL: the published ranking never changes
 * after the freeze, a late row counts in the next month not frozen, and freezing again is a no-op.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, inArray } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { insertAssessments, type Answer } from './support/assessmentRows.js';
import { assessments, frozenMonths, frozenRankings } from '../db/schema/index.js';
import { freezeMonth, monthRanking, MonthError, unitMonthRates, type RankingRow } from '../db/queries/rates.js';
import { decideExemption, requestExemption } from '../db/queries/assessment.js';

let database: TestDatabase;
const ALL: [boolean, boolean, Answer] = [true, true, 'satisfied'];
const NONE: [boolean, boolean, Answer] = [false, false, 'unsatisfied'];
const by = { workflowId: 'monthly-assessment-test', runId: 'run-1' };
const brief = (r: RankingRow) => [r.unitId, r.rank, r.composite, r.previousRank, r.rankChange];

beforeAll(async () => {
  database = await createTestDatabase();
  await insertAssessments(database.db, 'frozen', [
    // September 2026: water first, grid second.
    { unit: 'beijing-water', at: '2026-09-10T02:00:00Z', answers: ALL },
    { unit: 'state-grid-beijing', at: '2026-09-11T02:00:00Z', answers: NONE },
    // October 2026: grid overtakes water.
    { unit: 'beijing-water', at: '2026-10-10T02:00:00Z', answers: [true, false, 'basically_satisfied'] },
    { unit: 'state-grid-beijing', at: '2026-10-11T02:00:00Z', answers: ALL },
    // 23:59 on 31 October in Beijing: October.
    { unit: 'beijing-gas', at: '2026-10-31T15:59:00Z', answers: [true, true, 'basically_satisfied'] },
  ]);
});
afterAll(async () => {
  await database?.drop();
});

describe('freezing a month', () => {
  it("stores every level's ranking as it stood; a late row counts next month; a second freeze changes nothing", async () => {
    const db = database.db;
    await freezeMonth(db, { month: '2026-09', ...by, asOf: new Date('2026-10-01T00:00:00+08:00') });
    const live = await monthRanking(db, '2026-10', 'enterprise');
    expect(live.frozenAt).toBeNull();
    expect(live.items.slice(0, 3).map(brief)).toEqual([
      ['state-grid-beijing', 1, 1, 2, 1],
      ['beijing-gas', 2, 0.96, null, null],
      ['beijing-water', 3, 0.46, 1, -2],
    ]);

    const first = await freezeMonth(db, { month: '2026-10', ...by, asOf: new Date('2026-11-01T00:30:00+08:00') });
    expect(first).toMatchObject({ month: '2026-10', frozenNow: true, ...by });
    // Every unit of every level: 343 streets and townships, the departments, the enterprises.
    expect(first.rows).toBeGreaterThan(343 + live.items.length);
    const published = await monthRanking(db, '2026-10', 'enterprise');
    expect(published).toEqual({ ...live, frozenAt: first.frozenAt });

    // A callback recorded after the freeze for a case closed in October: it counts in November.
    const [late] = await insertAssessments(db, 'late', [
      { unit: 'beijing-water', at: '2026-10-30T02:00:00Z', answers: ALL },
    ]);
    const [row] = await db.select().from(assessments).where(eq(assessments.appealId, late!));
    expect(row!.assessmentMonth).toBe('2026-11');
    expect(await monthRanking(db, '2026-10', 'enterprise')).toEqual(published);
    // The unit's own page of October shows the published figures, not the late row.
    const waterOctober = await unitMonthRates(db, 'beijing-water', '2026-10');
    const { rows, exempt, invalidCallbacks, valid, contacted, resolved, satisfied, basicallySatisfied } =
      published.items.find((r) => r.unitId === 'beijing-water')!;
    expect(waterOctober).toMatchObject({
      frozenAt: first.frozenAt,
      rates: {
        rows,
        exempt,
        invalidCallbacks,
        valid,
        contacted,
        resolved,
        satisfied,
        basicallySatisfied,
        composite: 0.46,
      },
    });
    expect(waterOctober.items).toHaveLength(1);
    const november = await unitMonthRates(db, 'beijing-water', '2026-11');
    expect(november).toMatchObject({ frozenAt: null, rates: { rows: 1, valid: 1, composite: 1 } });
    expect(november.items.map((r) => r.appealId)).toEqual([late]);
    // November's ranking is live; its previous ranks are October's published ones.
    const novemberRanking = await monthRanking(db, '2026-11', 'enterprise');
    expect(novemberRanking.frozenAt).toBeNull();
    expect(novemberRanking.items[0]).toMatchObject({
      unitId: 'beijing-water',
      rank: 1,
      previousRank: 3,
      rankChange: 2,
    });

    // Freezing October again: same record, same rows, nothing written.
    const rowsBefore = await db.select().from(frozenRankings).where(eq(frozenRankings.month, '2026-10'));
    const second = await freezeMonth(db, {
      month: '2026-10',
      workflowId: 'other',
      runId: 'run-2',
      asOf: new Date('2026-11-02T00:00:00+08:00'),
    });
    expect(second).toEqual({ ...first, frozenNow: false, rows: 0 });
    expect(await db.select().from(frozenRankings).where(eq(frozenRankings.month, '2026-10'))).toEqual(rowsBefore);
    expect(await monthRanking(db, '2026-10', 'enterprise')).toEqual(published);
  });

  it("keeps a published unit's figures when an exemption is granted afterwards", async () => {
    const db = database.db;
    const [id] = await db
      .select({ appealId: assessments.appealId })
      .from(assessments)
      .where(eq(assessments.closedAt, new Date('2026-10-11T02:00:00Z')));
    const step = {
      appealId: id!.appealId,
      unitId: 'state-grid-beijing',
      actor: 'center',
      caller: 'test',
      at: new Date(),
    };
    await requestExemption(db, { ...step, reason: '不可抗力' });
    await decideExemption(db, { ...step, reason: '准予', granted: true });
    const grid = await unitMonthRates(db, 'state-grid-beijing', '2026-10');
    expect(grid.frozenAt).not.toBeNull();
    expect(grid.rates).toMatchObject({ rows: 1, exempt: 0, valid: 1, composite: 1 });
    expect(grid.items[0]!.exempt).toBe(true);
  });

  it('skips every frozen month: a late row of a month followed by frozen months counts in the first one open', async () => {
    const db = database.db;
    await freezeMonth(db, { month: '2026-11', ...by, asOf: new Date('2026-12-01T00:30:00+08:00') });
    const [late] = await insertAssessments(db, 'later', [
      { unit: 'beijing-gas', at: '2026-09-30T02:00:00Z', answers: ALL },
    ]);
    const [row] = await db.select().from(assessments).where(eq(assessments.appealId, late!));
    expect(row!.assessmentMonth).toBe('2026-12');
    const months = await db
      .select()
      .from(frozenMonths)
      .where(inArray(frozenMonths.month, ['2026-09', '2026-10', '2026-11']));
    expect(months).toHaveLength(3);
  });

  it('waits for a row being written: it is counted in the month frozen, or in the next one, never lost', async () => {
    const db = database.db;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const inserted = new Promise<void>((resolve) => (written = resolve));
    // A close under way: its row is inserted, its transaction not yet committed.
    const closing = db.transaction(async (tx) => {
      await insertAssessments(tx, 'racing', [{ unit: 'beijing-bus', at: '2026-12-05T02:00:00Z', answers: ALL }]);
      written();
      await held;
    });
    await inserted;
    let done = false;
    const freezing = freezeMonth(db, { month: '2026-12', ...by, asOf: new Date('2027-01-01T00:30:00+08:00') }).then(
      (outcome) => {
        done = true;
        return outcome;
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(done).toBe(false);
    release();
    await closing;
    expect((await freezing).frozenNow).toBe(true);
    const december = await monthRanking(db, '2026-12', 'enterprise');
    expect(december.items.find((r) => r.unitId === 'beijing-bus')).toMatchObject({ valid: 1, rank: 1 });
  });

  it('refuses a month that is not over', async () => {
    const error = await freezeMonth(database.db, {
      month: '2027-01',
      ...by,
      asOf: new Date('2027-01-31T23:59:00+08:00'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MonthError);
    expect((error as Error).message).toContain('2027-01 is not over');
    expect(await monthRanking(database.db, '2027-01', 'street')).toMatchObject({ frozenAt: null });
  });
});
