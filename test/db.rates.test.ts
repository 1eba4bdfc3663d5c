/**
 * Monthly rates and rankings (Art. 25) over assessment rows written directly, compared exactly
 * with values worked out by hand from the published formula and the weights versions.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { appeals, assessments, assessmentWeights, type NewAssessment } from '../db/schema/index.js';
import { monthRanking, unitMonthRates, type RankingRow } from '../db/queries/rates.js';
import { SEED_DATA_DIR, SeedDataError, seedReferenceData } from '../db/seed/seed.js';
import type { AssessmentWeightsRecord } from '../db/seed/data/types.js';

let database: TestDatabase;

type Answer = 'satisfied' | 'basically_satisfied' | 'unsatisfied';
interface Spec {
  unit: string;
  at: string;
  /** [contacted, resolved, satisfaction] of a valid callback; 'invalid' for a callback not valid. */
  answers: [boolean, boolean, Answer] | 'invalid';
  exempt?: boolean;
}

let seq = 0;
async function insert(specs: Spec[]): Promise<void> {
  for (const s of specs) {
    const id = `rates-${++seq}`;
    const closedAt = new Date(s.at);
    await database.db.insert(appeals).values({
      id,
      workflowId: `appeal-${id}`,
      channel: 'phone',
      appealType: 'help',
      categoryCode: 'utilities.water.outage',
      content: '测试',
      stage: 'closed',
      receivedAt: new Date(closedAt.getTime() - 86_400_000),
      closedAt,
    });
    const answers = s.answers === 'invalid' ? null : s.answers;
    const valid = answers !== null;
    const row: NewAssessment = {
      appealId: id,
      unitId: s.unit,
      role: 'lead',
      responded: true,
      callbackValid: valid,
      contacted: answers ? answers[0] : null,
      resolved: answers ? answers[1] : null,
      satisfaction: answers ? answers[2] : null,
      exempt: s.exempt ?? false,
      exemptReason: s.exempt ? 'exemption granted: 不可抗力' : null,
      closedAt,
    };
    await database.db.insert(assessments).values(row);
  }
}

const ALL: [boolean, boolean, Answer] = [true, true, 'satisfied'];

beforeAll(async () => {
  database = await createTestDatabase();
  await insert([
    // November 2026 (weights v1: 0.1 / 0.5 / 0.4).
    { unit: 'beijing-water', at: '2026-11-10T02:00:00Z', answers: ALL },
    { unit: 'beijing-drainage', at: '2026-11-11T02:00:00Z', answers: [true, true, 'basically_satisfied'] },
    { unit: 'state-grid-beijing', at: '2026-11-12T02:00:00Z', answers: [false, false, 'unsatisfied'] },
    // December 2026 (v1).
    { unit: 'beijing-water', at: '2026-12-02T02:00:00Z', answers: ALL },
    { unit: 'beijing-water', at: '2026-12-03T02:00:00Z', answers: [true, false, 'basically_satisfied'] },
    { unit: 'beijing-water', at: '2026-12-04T02:00:00Z', answers: [false, false, 'unsatisfied'] },
    { unit: 'beijing-water', at: '2026-12-05T02:00:00Z', answers: ALL, exempt: true },
    { unit: 'beijing-water', at: '2026-12-06T02:00:00Z', answers: 'invalid' },
    // 00:30 on 1 December in Beijing: December, although still 30 November in UTC.
    { unit: 'beijing-gas', at: '2026-11-30T16:30:00Z', answers: ALL },
    { unit: 'state-grid-beijing', at: '2026-12-07T02:00:00Z', answers: ALL },
    { unit: 'state-grid-beijing', at: '2026-12-08T02:00:00Z', answers: ALL },
    { unit: 'beijing-heating', at: '2026-12-09T02:00:00Z', answers: ALL, exempt: true },
    { unit: 'beijing-heating', at: '2026-12-10T02:00:00Z', answers: 'invalid' },
    { unit: 'beijing-drainage', at: '2026-12-11T02:00:00Z', answers: [true, false, 'unsatisfied'] },
    // January 2027 (weights v2: 0.3 / 0.35 / 0.35); midnight of 1 January in Beijing.
    { unit: 'beijing-drainage', at: '2026-12-31T16:00:00Z', answers: [true, true, 'basically_satisfied'] },
    { unit: 'beijing-water', at: '2027-01-05T02:00:00Z', answers: [true, false, 'satisfied'] },
  ]);
});
afterAll(async () => {
  await database?.drop();
});

const NO_RATES = { response: null, resolution: null, satisfaction: null, composite: null };

describe('assessment weights', () => {
  it('are seeded as two versions, one after the other', async () => {
    const rows = await database.db.select().from(assessmentWeights).orderBy(asc(assessmentWeights.version));
    expect(
      rows.map((w) => [
        w.version,
        w.validFrom,
        w.validTo,
        Number(w.response),
        Number(w.resolution),
        Number(w.satisfaction),
      ]),
    ).toEqual([
      [1, '2021-09-24', '2027-01-01', 0.1, 0.5, 0.4],
      [2, '2027-01-01', null, 0.3, 0.35, 0.35],
    ]);
  });

  it('must sum to 1', async () => {
    const error = await database.db
      .insert(assessmentWeights)
      .values({
        version: 9,
        validFrom: '2040-01-01',
        response: '0.2',
        resolution: '0.5',
        satisfaction: '0.4',
        description: 'x',
      })
      .catch((e: unknown) => e);
    expect((error as { cause?: { constraint?: string } }).cause?.constraint).toBe('assessment_weights_sum_check');
  });

  it('of a version in force are never edited by the seed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jiesu-weights-'));
    try {
      await cp(SEED_DATA_DIR, dir, { recursive: true });
      const file = join(dir, 'assessmentWeights.json');
      const weights = JSON.parse(await readFile(file, 'utf8')) as AssessmentWeightsRecord[];
      const edited = weights.map((w) => (w.version === 1 ? { ...w, resolution: 0.4, satisfaction: 0.5 } : w));
      await writeFile(file, JSON.stringify(edited));
      const error = await seedReferenceData(database.db, { dataDir: dir, now: new Date('2026-11-30T00:00:00Z') }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SeedDataError);
      expect((error as SeedDataError).problems).toEqual([
        expect.stringContaining(
          'assessment weights version 1 are in force since 2021-09-24; its resolution, satisfaction cannot change',
        ),
      ]);
      await writeFile(file, JSON.stringify([{ ...weights[0], response: 0.2 }, weights[1]]));
      const sum = await seedReferenceData(database.db, { dataDir: dir }).catch((e: unknown) => e);
      expect((sum as SeedDataError).problems).toEqual(['assessment weights version 1: the weights must sum to 1']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('one unit of one month', () => {
  it('counts valid callbacks only, leaves out exempt rows and invalid callbacks, and weighs with v1 in 2026-12', async () => {
    const month = await unitMonthRates(database.db, 'beijing-water', '2026-12');
    expect(month.weights).toEqual({ version: 1, response: 0.1, resolution: 0.5, satisfaction: 0.4 });
    // valid 3: contacted 2, resolved 1, satisfied 1, basically 1.
    // composite = (0.1 × 2 + 0.5 × 1 + 0.4 × (1 + 0.9)) / 3 = 1.46 / 3 = 0.48666…
    expect(month.rates).toEqual({
      rows: 5,
      exempt: 1,
      invalidCallbacks: 1,
      valid: 3,
      contacted: 2,
      resolved: 1,
      satisfied: 1,
      basicallySatisfied: 1,
      response: 0.6667,
      resolution: 0.3333,
      satisfaction: 0.6333,
      composite: 0.4867,
    });
    expect(month.items.map((r) => [r.closedAt.toISOString(), r.exempt, r.callbackValid])).toEqual([
      ['2026-12-02T02:00:00.000Z', false, true],
      ['2026-12-03T02:00:00.000Z', false, true],
      ['2026-12-04T02:00:00.000Z', false, true],
      ['2026-12-05T02:00:00.000Z', true, true],
      ['2026-12-06T02:00:00.000Z', false, false],
    ]);
  });

  it('weighs 2027-01 with v2, and takes the month of closed_at in Beijing', async () => {
    const january = await unitMonthRates(database.db, 'beijing-drainage', '2027-01');
    expect(january.weights).toEqual({ version: 2, response: 0.3, resolution: 0.35, satisfaction: 0.35 });
    // 0.3 × 1 + 0.35 × 1 + 0.35 × 0.9 = 0.965
    expect(january.rates).toMatchObject({
      rows: 1,
      valid: 1,
      response: 1,
      resolution: 1,
      satisfaction: 0.9,
      composite: 0.965,
    });
    const water = await unitMonthRates(database.db, 'beijing-water', '2027-01');
    expect(water.rates).toMatchObject({ valid: 1, response: 1, resolution: 0, satisfaction: 1, composite: 0.65 });
    const gas = await unitMonthRates(database.db, 'beijing-gas', '2026-12');
    expect(gas.rates).toMatchObject({ rows: 1, valid: 1, composite: 1 });
    expect((await unitMonthRates(database.db, 'beijing-gas', '2026-11')).rates.rows).toBe(0);
  });

  it('reports a unit without valid callbacks as such, not as zero', async () => {
    const heating = await unitMonthRates(database.db, 'beijing-heating', '2026-12');
    expect(heating.rates).toEqual({
      rows: 2,
      exempt: 1,
      invalidCallbacks: 1,
      valid: 0,
      contacted: 0,
      resolved: 0,
      satisfied: 0,
      basicallySatisfied: 0,
      ...NO_RATES,
    });
    const none = await unitMonthRates(database.db, 'beijing-bus', '2026-12');
    expect(none.rates).toMatchObject({ rows: 0, valid: 0, ...NO_RATES });
    expect(none.items).toEqual([]);
    // No weights version before 2021-09-24: no composite.
    expect((await unitMonthRates(database.db, 'beijing-bus', '2020-01')).weights).toBeNull();
  });
});

const brief = (r: RankingRow) => [r.unitId, r.rank, r.composite, r.previousRank, r.rankChange];

describe('rankings of a month', () => {
  it('ranks the enterprises of 2026-12: a tie shares a rank, changes against 2026-11, the unranked last', async () => {
    const ranking = await monthRanking(database.db, '2026-12', 'enterprise');
    expect(ranking.weights?.version).toBe(1);
    // November: water 1 (1.0), drainage 2 (0.96), state grid 3 (0).
    expect(ranking.items.map(brief)).toEqual([
      ['beijing-gas', 1, 1, null, null],
      ['state-grid-beijing', 1, 1, 3, 2],
      ['beijing-water', 3, 0.4867, 1, -2],
      // response 1, resolution 0, satisfaction 0: 0.1
      ['beijing-drainage', 4, 0.1, 2, -2],
      ['beijing-bus', null, null, null, null],
      ['beijing-heating', null, null, null, null],
      ['beijing-subway', null, null, null, null],
      ['jingneng-heating', null, null, null, null],
    ]);
    expect(ranking.items.find((r) => r.unitId === 'beijing-heating')).toMatchObject({
      kind: 'public_service_enterprise',
      rows: 2,
      exempt: 1,
      invalidCallbacks: 1,
      valid: 0,
      ...NO_RATES,
    });
  });

  it('ranks 2027-01 under v2 against 2026-12 under v1', async () => {
    const ranking = await monthRanking(database.db, '2027-01', 'enterprise');
    expect(ranking.weights?.version).toBe(2);
    expect(ranking.items.slice(0, 4).map(brief)).toEqual([
      ['beijing-drainage', 1, 0.965, 4, 3],
      ['beijing-water', 2, 0.65, 3, 1],
      ['beijing-bus', null, null, null, null],
      ['beijing-gas', null, null, 1, null],
    ]);
  });

  it('lists every street and township of a level together, and the departments with the district governments', async () => {
    const streets = await monthRanking(database.db, '2026-12', 'street');
    expect(streets.items).toHaveLength(343);
    expect(new Set(streets.items.map((r) => r.kind))).toEqual(new Set(['street', 'township']));
    expect(streets.items.every((r) => r.rank === null)).toBe(true);
    const departments = await monthRanking(database.db, '2026-12', 'department');
    expect(new Set(departments.items.map((r) => r.kind))).toEqual(
      new Set(['city_department', 'district_department', 'sector_authority', 'district_government']),
    );
  });
});
