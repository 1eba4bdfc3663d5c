import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, asc, eq, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { SEED_DATA_DIR, SeedDataError, seedReferenceData } from '../db/seed/seed.js';
import {
  getHandlingUnit,
  getPolicy,
  lookupDispatch,
  policyInForce,
  ReferenceDataError,
  workOrderReferences,
} from '../db/queries/reference.js';
import {
  categories,
  deadlinePolicies,
  dispatchCatalogue,
  districts,
  knowledgeBase,
  streets,
  units,
} from '../db/schema/index.js';
import type { DeadlinePolicyRecord, DispatchCatalogueRecord, KnowledgeBaseRecord } from '../db/seed/data/types.js';

let database: TestDatabase;
let dataDir: string;
beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'jiesu-seed-'));
  await cp(SEED_DATA_DIR, dataDir, { recursive: true });
});
afterAll(async () => {
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const NOW = new Date('2025-06-01T00:00:00Z');
const EXPECTED_COUNTS = {
  districts: 16,
  streets: 343,
  units: 70,
  categories: 69,
  dispatch_catalogue: 62,
  deadline_policies: 6,
  knowledge_base: 40,
};

/** Every row of every reference table, in key order. */
async function snapshot() {
  const db = database.db;
  return {
    districts: await db.select().from(districts).orderBy(asc(districts.id)),
    streets: await db.select().from(streets).orderBy(asc(streets.id)),
    units: await db.select().from(units).orderBy(asc(units.id)),
    categories: await db.select().from(categories).orderBy(asc(categories.code)),
    catalogue: await db.select().from(dispatchCatalogue).orderBy(asc(dispatchCatalogue.id)),
    policies: await db
      .select()
      .from(deadlinePolicies)
      .orderBy(asc(deadlinePolicies.code), asc(deadlinePolicies.version)),
    knowledge: await db.select().from(knowledgeBase).orderBy(asc(knowledgeBase.id)),
  };
}

const readJson = async <T>(name: string): Promise<T[]> =>
  JSON.parse(await readFile(join(dataDir, name), 'utf8')) as T[];
const writeJson = (name: string, rows: unknown[]) => writeFile(join(dataDir, name), JSON.stringify(rows, null, 2));

describe('seed', () => {
  it('loads every file into an empty, migrated database', async () => {
    // The test template comes seeded: empty the reference tables first.
    await database.db.execute(
      sql`truncate knowledge_base, dispatch_catalogue, deadline_policies, categories, units, streets, districts`,
    );
    expect(Object.values((await snapshot()) as Record<string, unknown[]>).flat()).toEqual([]);
    const counts = await seedReferenceData(database.db, { now: NOW });
    expect(counts).toEqual(EXPECTED_COUNTS);
  });

  it('seeding again gives the same counts and the same rows', async () => {
    const before = await snapshot();
    const counts = await seedReferenceData(database.db, { now: NOW });
    expect(counts).toEqual(EXPECTED_COUNTS);
    expect(await snapshot()).toEqual(before);
  });

  it('applies an edited file on re-seed: changed rows change, removed catalogue and knowledge rows go', async () => {
    const originalCatalogue = await readJson<DispatchCatalogueRecord>('dispatchCatalogue.json');
    const originalKnowledge = await readJson<KnowledgeBaseRecord>('knowledgeBase.json');
    const edited = originalCatalogue
      .filter((e) => e.categoryCode !== 'traffic.taxi')
      .map((e) => (e.categoryCode === 'traffic.signal' && e.scope === 'city' ? { ...e, policyCode: 'complex' } : e));
    await writeJson('dispatchCatalogue.json', edited);
    await writeJson('knowledgeBase.json', originalKnowledge.slice(1));

    const counts = await seedReferenceData(database.db, { dataDir, now: NOW });
    expect(counts).toMatchObject({ dispatch_catalogue: 61, knowledge_base: 39 });
    const [signal] = await database.db
      .select()
      .from(dispatchCatalogue)
      .where(eq(dispatchCatalogue.categoryCode, 'traffic.signal'));
    expect(signal?.policyCode).toBe('complex');
    expect(
      await database.db.select().from(dispatchCatalogue).where(eq(dispatchCatalogue.categoryCode, 'traffic.taxi')),
    ).toEqual([]);

    await writeJson('dispatchCatalogue.json', originalCatalogue);
    await writeJson('knowledgeBase.json', originalKnowledge);
    expect(await seedReferenceData(database.db, { dataDir, now: NOW })).toEqual(EXPECTED_COUNTS);
  });

  it('refuses to edit the windows of a policy version in force, and writes nothing', async () => {
    const before = await snapshot();
    const policies = await readJson<DeadlinePolicyRecord>('deadlinePolicies.json');
    const edited = policies.map((p) =>
      p.code === 'general' ? { ...p, windows: { ...p.windows, handling: { amount: 5, unit: 'natural_days' } } } : p,
    );
    await writeJson('deadlinePolicies.json', edited);
    try {
      const error = await seedReferenceData(database.db, { dataDir, now: NOW }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SeedDataError);
      expect((error as SeedDataError).problems).toEqual([
        expect.stringContaining('policy general version 1 is in force since 2021-09-24; its windows cannot change'),
      ]);
      expect(await snapshot()).toEqual(before);
    } finally {
      await writeJson('deadlinePolicies.json', policies);
    }
  });

  it('refuses two versions of one policy in force at the same time', async () => {
    const policies = await readJson<DeadlinePolicyRecord>('deadlinePolicies.json');
    const general = policies.find((p) => p.code === 'general')!;
    await writeJson('deadlinePolicies.json', [...policies, { ...general, version: 2, validFrom: '2030-01-01' }]);
    try {
      const error = await seedReferenceData(database.db, { dataDir, now: NOW }).catch((e: unknown) => e);
      expect((error as SeedDataError).problems).toEqual([
        'policy general: versions 1 and 2 are in force at the same time (close 1 with validTo)',
      ]);
      expect(await getPolicy(database.db, 'general', 2)).toBeUndefined();
    } finally {
      await writeJson('deadlinePolicies.json', policies);
    }
  });

  it('has the indexes the lookups use', async () => {
    const result = await database.db.execute<{ indexname: string }>(
      sql`select indexname from pg_indexes where schemaname = 'public' order by indexname`,
    );
    expect(result.rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining([
        'dispatch_catalogue_entry_key',
        'units_district_government_idx',
        'units_sectors_idx',
        'streets_district_idx',
        'deadline_policies_validity_idx',
        'knowledge_base_search_terms_idx',
        'appeals_duplicate_idx',
      ]),
    );
  });
});

describe('dispatch catalogue', () => {
  const noise = { categoryCode: 'environment.noise' };

  it('prefers the street entry over the district and city entries', async () => {
    const plan = await lookupDispatch(database.db, {
      ...noise,
      districtId: 'chaoyang',
      streetId: 'chaoyang-sanlitun',
    });
    expect(plan).toEqual({
      route: 'street',
      leadUnitId: 'chaoyang-sanlitun',
      notifyUnitIds: ['chaoyang-gov'],
      // the street (street entry), the district department (district entry); the city entry resolves to the street again
      candidateUnitIds: ['chaoyang-sanlitun', 'chaoyang-ecology'],
      policyCode: 'general',
      matchedScope: 'street',
      districtId: 'chaoyang',
    });
  });

  it('prefers the district entry over the city entry elsewhere in that district, and needs no district when the street is known', async () => {
    const plan = await lookupDispatch(database.db, { ...noise, streetId: 'chaoyang-jianwai' });
    expect(plan).toMatchObject({
      route: 'unit',
      leadUnitId: 'chaoyang-ecology',
      notifyUnitIds: [],
      matchedScope: 'district',
      districtId: 'chaoyang',
    });
    expect(plan.candidateUnitIds).toEqual(['chaoyang-ecology', 'chaoyang-jianwai']);
  });

  it('uses the city entry in other districts: the street of the location, its district government notified (Art. 14)', async () => {
    const plan = await lookupDispatch(database.db, {
      ...noise,
      districtId: 'haidian',
      streetId: 'haidian-zizhuyuan',
    });
    expect(plan).toMatchObject({
      route: 'street',
      leadUnitId: 'haidian-zizhuyuan',
      notifyUnitIds: ['haidian-gov'],
      matchedScope: 'city',
    });
  });

  it('sends a named unit its orders, with the sector authority as a consultation candidate', async () => {
    const plan = await lookupDispatch(database.db, {
      categoryCode: 'utilities.water.outage',
      districtId: 'fengtai',
    });
    expect(plan).toMatchObject({
      route: 'unit',
      leadUnitId: 'beijing-water',
      notifyUnitIds: [],
      candidateUnitIds: ['beijing-water', 'sector-water'],
      policyCode: 'utility-24h',
      matchedScope: 'city',
    });
  });

  it('routes a street-scoped district-government entry to the district government', async () => {
    const plan = await lookupDispatch(database.db, {
      categoryCode: 'traffic.parking',
      streetId: 'haidian-zhongguancun',
    });
    expect(plan).toMatchObject({
      route: 'district_government',
      leadUnitId: 'haidian-gov',
      policyCode: 'complex',
      matchedScope: 'street',
    });
  });

  it('falls back to the district government (兜底) when nothing matches and the district is known', async () => {
    const plan = await lookupDispatch(database.db, {
      categoryCode: 'housing',
      districtId: 'miyun',
    });
    expect(plan).toEqual({
      route: 'district_government',
      leadUnitId: 'miyun-gov',
      notifyUnitIds: [],
      candidateUnitIds: ['miyun-gov', 'sector-housing'],
      policyCode: 'general',
      matchedScope: null,
      districtId: 'miyun',
    });
    // A street-of-location entry without a known street: the district government too.
    expect(await lookupDispatch(database.db, { categoryCode: 'traffic.parking', districtId: 'miyun' })).toMatchObject({
      route: 'district_government',
      leadUnitId: 'miyun-gov',
      matchedScope: 'city',
    });
  });

  it("falls back to the hotline center's manual queue when not even the district is known", async () => {
    expect(await lookupDispatch(database.db, { categoryCode: 'housing' })).toEqual({
      route: 'manual_queue',
      leadUnitId: null,
      notifyUnitIds: [],
      candidateUnitIds: ['sector-housing'],
      policyCode: 'general',
      matchedScope: null,
      districtId: null,
    });
    expect(await lookupDispatch(database.db, { categoryCode: 'traffic.parking' })).toMatchObject({
      route: 'manual_queue',
      leadUnitId: null,
      matchedScope: 'city',
    });
  });

  it('rejects an unknown category or place', async () => {
    const failure = (lookup: Parameters<typeof lookupDispatch>[1]) =>
      lookupDispatch(database.db, lookup).then(
        () => undefined,
        (e: unknown) => (e instanceof ReferenceDataError ? e.type : e),
      );
    expect(await failure({ categoryCode: 'no.such.category' })).toBe('UnknownCategory');
    expect(await failure({ categoryCode: 'urban.garbage', streetId: 'nowhere' })).toBe('UnknownStreet');
    expect(await failure({ categoryCode: 'urban.garbage', districtId: 'nowhere' })).toBe('UnknownDistrict');
    expect(
      await failure({
        categoryCode: 'urban.garbage',
        districtId: 'haidian',
        streetId: 'chaoyang-sanlitun',
      }),
    ).toBe('StreetNotInDistrict');
  });

  it('reads a work order’s category, district and street in one statement', async () => {
    expect(
      await workOrderReferences(database.db, {
        categoryCode: 'urban.garbage',
        districtId: 'haidian',
        streetId: 'chaoyang-sanlitun',
      }),
    ).toEqual({ category: true, categoryIsGroup: false, district: true, streetDistrictId: 'chaoyang' });
    expect(await workOrderReferences(database.db, { categoryCode: 'no.such.category', districtId: 'nowhere' })).toEqual(
      { category: false, categoryIsGroup: false, district: false, streetDistrictId: undefined },
    );
    // A group of categories exists, but an appeal is filed under one of the categories in it.
    expect(await workOrderReferences(database.db, { categoryCode: 'utilities.water' })).toMatchObject({
      category: true,
      categoryIsGroup: true,
    });
    expect(
      await workOrderReferences(database.db, { categoryCode: 'urban.garbage', streetId: 'nowhere' }),
    ).toMatchObject({ district: false, streetDistrictId: undefined });
  });

  it('finds any handling unit by id, streets and townships included', async () => {
    expect(await getHandlingUnit(database.db, 'chaoyang-nanmofang')).toEqual({
      id: 'chaoyang-nanmofang',
      name: '南磨房地区',
      kind: 'township',
      districtId: 'chaoyang',
    });
    expect(await getHandlingUnit(database.db, 'chaoyang-gov')).toMatchObject({
      kind: 'district_government',
      districtId: 'chaoyang',
    });
    expect(await getHandlingUnit(database.db, 'nobody')).toBeUndefined();
  });
});

describe('deadline policies', () => {
  it('finds the version in force, and the explicit policy for an appeal type the catalogue policy leaves out', async () => {
    const at = new Date('2025-10-09T02:00:00Z');
    expect(await policyInForce(database.db, { code: 'emergency', appealType: 'help', at })).toMatchObject({
      code: 'emergency',
      version: 1,
    });
    expect(await policyInForce(database.db, { code: 'emergency', appealType: 'suggestion', at })).toMatchObject({
      code: 'suggestion',
      version: 1,
    });
    expect(await policyInForce(database.db, { code: 'general', appealType: 'suggestion', at })).toMatchObject({
      code: 'general',
    });
  });

  it('rejects an unknown policy and a date before any version', async () => {
    const type = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => (e as ReferenceDataError).type,
      );
    expect(await type(policyInForce(database.db, { code: 'nope', appealType: 'help', at: new Date() }))).toBe(
      'UnknownPolicy',
    );
    expect(
      await type(
        policyInForce(database.db, {
          code: 'general',
          appealType: 'help',
          at: new Date('2021-09-23T12:00:00Z'),
        }),
      ),
    ).toBe('NoPolicyInForce');
  });

  it('a new version changes what is in force from its Beijing start date, and leaves the old version as it was', async () => {
    const v1 = (await getPolicy(database.db, 'general', 1))!;
    await database.db.transaction(async (tx) => {
      await tx
        .update(deadlinePolicies)
        .set({ validTo: '2026-03-01' })
        .where(and(eq(deadlinePolicies.code, 'general'), eq(deadlinePolicies.version, 1)));
      await tx.insert(deadlinePolicies).values({
        ...v1,
        version: 2,
        validFrom: '2026-03-01',
        validTo: null,
        windows: { ...v1.windows, handling: { amount: 5, unit: 'working_days' } },
      });
    });
    const general = (at: string) =>
      policyInForce(database.db, { code: 'general', appealType: 'complaint', at: new Date(at) });
    expect((await general('2026-02-28T15:59:59Z')).version).toBe(1); // 23:59:59 in Beijing
    expect((await general('2026-02-28T16:00:00Z')).version).toBe(2); // 00:00 on 1 March in Beijing
    expect((await getPolicy(database.db, 'general', 1))!.windows.handling).toEqual({
      amount: 7,
      unit: 'natural_days',
    });
  });
});
