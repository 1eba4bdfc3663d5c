import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { failureOf } from './support/failures.js';
import { testLogger as log } from './support/logger.js';
import { SEED_DATA_DIR, SeedDataError, seedReferenceData } from '../db/seed/seed.js';
import { createAppealRecord, getAppealRecord } from '../db/queries/cases.js';
import { getPolicy } from '../db/queries/reference.js';
import { accountabilityRecords, deadlinePolicies } from '../db/schema/index.js';
import type { DeadlinePolicyRecord } from '../db/seed/data/types.js';
import { createDirectoryActivities, type EscalationTiersInput } from '../activities/directory/index.js';
import { createDeadlineActivities } from '../activities/deadlines/index.js';
import { createDispatchActivities } from '../activities/dispatch/index.js';
import { createRecordActivities } from '../activities/records/index.js';
import { createAssessmentActivities } from '../activities/assessment/index.js';

const NOW = new Date('2025-06-01T00:00:00Z');

let database: TestDatabase;
let dataDir: string;
let directory: ReturnType<typeof createDirectoryActivities>;
beforeAll(async () => {
  database = await createTestDatabase();
  await seedReferenceData(database.db, { now: NOW });
  dataDir = await mkdtemp(join(tmpdir(), 'jiesu-directory-'));
  await cp(SEED_DATA_DIR, dataDir, { recursive: true });
  directory = createDirectoryActivities({ db: database.db, log });
});
afterAll(async () => {
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const readPolicies = async (): Promise<DeadlinePolicyRecord[]> =>
  JSON.parse(await readFile(join(dataDir, 'deadlinePolicies.json'), 'utf8')) as DeadlinePolicyRecord[];
const writePolicies = (rows: unknown[]) =>
  writeFile(join(dataDir, 'deadlinePolicies.json'), JSON.stringify(rows, null, 2));

/** Seeds the copied data with one policy edited; puts the file back afterwards. */
async function seedWithPolicy(code: string, edit: (p: DeadlinePolicyRecord) => object): Promise<unknown> {
  const policies = await readPolicies();
  await writePolicies(policies.map((p) => (p.code === code ? edit(p) : p)));
  try {
    return await seedReferenceData(database.db, { dataDir, now: NOW }).catch((e: unknown) => e);
  } finally {
    await writePolicies(policies);
  }
}

describe('describeUnit', () => {
  it('describes a street and a township with the government of their district', async () => {
    expect(await directory.describeUnit({ unitId: 'chaoyang-sanlitun', appealId: 'a-1' })).toEqual({
      id: 'chaoyang-sanlitun',
      name: '三里屯街道',
      kind: 'street',
      districtId: 'chaoyang',
      districtGovernmentId: 'chaoyang-gov',
    });
    expect(await directory.describeUnit({ unitId: 'chaoyang-nanmofang' })).toEqual({
      id: 'chaoyang-nanmofang',
      name: '南磨房地区',
      kind: 'township',
      districtId: 'chaoyang',
      districtGovernmentId: 'chaoyang-gov',
    });
  });

  it('describes departments: a district one with its government, a city one with none', async () => {
    expect(await directory.describeUnit({ unitId: 'chaoyang-ecology' })).toMatchObject({
      kind: 'district_department',
      districtId: 'chaoyang',
      districtGovernmentId: 'chaoyang-gov',
    });
    expect(await directory.describeUnit({ unitId: 'city-housing' })).toMatchObject({
      id: 'city-housing',
      kind: 'city_department',
      districtId: null,
      districtGovernmentId: null,
    });
    expect(await directory.describeUnit({ unitId: 'city-joint-office' })).toEqual({
      id: 'city-joint-office',
      name: '北京市接诉即办工作专班（市级统筹协调）',
      kind: 'city_department',
      districtId: null,
      districtGovernmentId: null,
    });
  });

  it('answers null for an unknown unit', async () => {
    expect(await directory.describeUnit({ unitId: 'nobody' })).toBeNull();
  });
});

describe('escalationTiers (Art. 22)', () => {
  const general = { appealId: 'a-2', policyCode: 'general', policyVersion: 1 } as const;
  const tiers = (
    input: Omit<EscalationTiersInput, 'appealId' | 'policyCode' | 'policyVersion'> & Partial<EscalationTiersInput>,
  ) => directory.escalationTiers({ ...general, ...input });

  it("sends a street's case to its district government, then to the city", async () => {
    expect(
      await tiers({
        categoryCode: 'urban.garbage',
        districtId: 'chaoyang',
        streetId: 'chaoyang-sanlitun',
        leadUnitId: 'chaoyang-sanlitun',
      }),
    ).toEqual(['chaoyang-gov', 'city-joint-office']);
  });

  it("sends a sector's case to the sector authority, then to the city", async () => {
    expect(
      await tiers({
        categoryCode: 'utilities.water.outage',
        districtId: 'fengtai',
        leadUnitId: 'beijing-water',
        policyCode: 'utility-24h',
      }),
    ).toEqual(['sector-water', 'city-joint-office']);
  });

  it('takes the district from the street when only the street is known', async () => {
    expect(
      await tiers({
        categoryCode: 'urban.garbage',
        streetId: 'haidian-zizhuyuan',
        leadUnitId: 'city-urban-enforcement',
      }),
    ).toEqual(['haidian-gov', 'city-joint-office']);
  });

  it('never escalates to the lead itself', async () => {
    // The sector authority leads: its district government is tier 1.
    expect(
      await tiers({ categoryCode: 'utilities.water.outage', districtId: 'fengtai', leadUnitId: 'sector-water' }),
    ).toEqual(['fengtai-gov', 'city-joint-office']);
    // The district government leads (兜底) and no sector covers the category: the city only.
    expect(await tiers({ categoryCode: 'urban.garbage', districtId: 'miyun', leadUnitId: 'miyun-gov' })).toEqual([
      'city-joint-office',
    ]);
  });

  it("stops at the policy's escalation levels", async () => {
    expect((await getPolicy(database.db, 'suggestion', 1))?.escalationLevels).toBe(1);
    expect(
      await tiers({
        categoryCode: 'urban.garbage',
        streetId: 'chaoyang-sanlitun',
        leadUnitId: 'chaoyang-sanlitun',
        policyCode: 'suggestion',
      }),
    ).toEqual(['chaoyang-gov']);
  });

  it('fails without retry on an unknown policy version', async () => {
    const failure = await failureOf(
      tiers({ categoryCode: 'urban.garbage', leadUnitId: 'chaoyang-sanlitun', policyVersion: 99 }),
    );
    expect([failure.type, failure.nonRetryable]).toEqual(['UnknownPolicy', true]);
  });
});

describe('policy rules', () => {
  const deadlines = () => createDeadlineActivities({ db: database.db, log });

  it('getPolicyLimits returns the rules of the version the case keeps', async () => {
    expect(await deadlines().getPolicyLimits({ policyCode: 'general', policyVersion: 1 })).toEqual({
      acceptanceReminderLimit: 2,
      callbackMaxAttempts: 3,
      escalationLevels: 2,
      callbackOnResult: false,
      warningFractions: [0.5, 0.75],
      rehandlingCap: 2,
      coHandlerMarginHours: 1,
      coHandlerWhenShort: 'main_deadline',
      reminderLimits: [2, 1, 1],
      duplicateWindowDays: 30,
      cityEscalationUnitId: 'city-joint-office',
    });
    expect(await deadlines().getPolicyLimits({ policyCode: 'emergency', policyVersion: 1 })).toMatchObject({
      acceptanceReminderLimit: 1,
      coHandlerMarginHours: 0.25,
      reminderLimits: [1, 1, 1],
    });
  });

  it('computes the follow-up window of a forwarded central/military matter (Art. 23)', async () => {
    // Friday 10 October 2025, 10:00 in Beijing: working days 11 (a make-up Saturday), 13, 14, 15, 16 October; due at the end of the 16th.
    expect(
      await deadlines().computeDeadlines({
        policyCode: 'central-liaison',
        policyVersion: 1,
        from: '2025-10-10T02:00:00.000Z',
        windows: ['centralFollowUp'],
      }),
    ).toEqual({ deadlines: { centralFollowUp: '2025-10-16T16:00:00.000Z' }, calendar: 'official' });
  });

  it('the seed rejects a bad warning fraction and inconsistent reminder limits, and writes nothing', async () => {
    const before = await getPolicy(database.db, 'general', 1);
    const error = await seedWithPolicy('general', (p) => ({
      ...p,
      description: 'changed',
      warningFractions: [0.5, 1.2],
      reminderLimits: [3, 1],
    }));
    expect(error).toBeInstanceOf(SeedDataError);
    expect((error as SeedDataError).problems).toEqual([
      'policy general version 1: warningFractions must be ascending fractions of the handling time, each in (0, 1)',
      'policy general version 1: reminderLimits needs 3 entries (one before the first tier, one per escalation level), has 2',
      'policy general version 1: reminderLimits[0] (3) must equal acceptanceReminderLimit (2)',
    ]);
    expect(await getPolicy(database.db, 'general', 1)).toEqual(before);

    const unknownCity = await seedWithPolicy('general', (p) => ({ ...p, cityEscalationUnitId: 'nowhere' }));
    expect((unknownCity as SeedDataError).problems).toEqual([
      "policy general version 1: cityEscalationUnitId 'nowhere' is not a unit",
    ]);
  });

  it('the database refuses fractions outside (0, 1) and negative limits', async () => {
    const general = and(eq(deadlinePolicies.code, 'general'), eq(deadlinePolicies.version, 1));
    const refused = (set: Partial<typeof deadlinePolicies.$inferInsert>) =>
      database.db
        .update(deadlinePolicies)
        .set(set)
        .where(general)
        .then(
          () => 'accepted',
          (e: { cause?: { constraint?: string } }) => e.cause?.constraint,
        );
    expect(await refused({ warningFractions: [0, 0.5] })).toBe('deadline_policies_warning_fractions_check');
    expect(await refused({ warningFractions: [0.5, 1] })).toBe('deadline_policies_warning_fractions_check');
    expect(await refused({ rehandlingCap: -1 })).toBe('deadline_policies_rules_check');
    expect(await refused({ reminderLimits: [2, -1, 1] })).toBe('deadline_policies_rules_check');
    expect(await refused({ coHandlerWhenShort: 'never' as never })).toBe(
      'deadline_policies_co_handler_when_short_check',
    );
  });

  it('fills in the rules of a version stored before they existed once, then keeps them frozen', async () => {
    // As the migration leaves a version seeded earlier: no follow-up window, default rules.
    const emergency = and(eq(deadlinePolicies.code, 'emergency'), eq(deadlinePolicies.version, 1));
    await database.db
      .update(deadlinePolicies)
      .set({
        windows: sql`${deadlinePolicies.windows} - 'centralFollowUp'`,
        coHandlerMarginHours: 1,
        reminderLimits: [2, 1, 1],
        duplicateWindowDays: 30,
      })
      .where(emergency);
    await seedReferenceData(database.db, { dataDir, now: NOW });
    const filled = (await getPolicy(database.db, 'emergency', 1))!;
    expect(filled).toMatchObject({ coHandlerMarginHours: 0.25, reminderLimits: [1, 1, 1], duplicateWindowDays: 7 });
    expect(filled.windows.centralFollowUp).toEqual({ amount: 2, unit: 'natural_days' });

    const error = await seedWithPolicy('emergency', (p) => ({ ...p, duplicateWindowDays: 14 }));
    expect((error as SeedDataError).problems).toEqual([
      expect.stringContaining(
        'policy emergency version 1 is in force since 2021-09-24; its duplicateWindowDays cannot change',
      ),
    ]);
  });
});

describe('findDuplicates with the policy window', () => {
  const phone = '13600000003';
  const at = '2025-11-20T02:00:00.000Z';
  const tenDaysBefore = new Date(Date.parse(at) - 10 * 86_400_000);
  const record = (id: string, categoryCode: string) =>
    createAppealRecord(
      database.db,
      {
        id,
        workflowId: `appeal-${id}`,
        channel: 'phone',
        appealType: 'complaint',
        categoryCode,
        districtId: 'haidian',
        streetId: 'haidian-zizhuyuan',
        content: '又出问题了',
        requesterPhone: phone,
        stage: 'handling',
        receivedAt: tenDaysBefore,
      },
      'intake',
    );

  it("looks back as far as the category's policy says unless told otherwise", async () => {
    const dispatch = createDispatchActivities({ db: database.db, log });
    await record('old-outage', 'utilities.water.outage'); // utility-24h: 7 days
    await record('old-garbage', 'urban.garbage'); // general: 30 days
    const found = async (categoryCode: string, extra: { windowDays?: number; appealType?: 'suggestion' } = {}) =>
      (
        await dispatch.findDuplicates({
          appealId: 'new',
          requesterPhone: phone,
          categoryCode,
          streetId: 'haidian-zizhuyuan',
          at,
          ...extra,
        })
      ).map((c) => c.appealId);

    expect(await found('utilities.water.outage')).toEqual([]);
    expect(await found('utilities.water.outage', { windowDays: 30 })).toEqual(['old-outage']);
    // A suggestion falls under the 'suggestion' policy, whose window is 30 days.
    expect(await found('utilities.water.outage', { appealType: 'suggestion' })).toEqual(['old-outage']);
    expect(await found('urban.garbage')).toEqual(['old-garbage']);
    expect(await found('urban.garbage', { windowDays: 7 })).toEqual([]);
  });
});

describe('case record', () => {
  it('keeps who owes something now, and links an accountability record to its audit step', async () => {
    await createAppealRecord(
      database.db,
      {
        id: 'pending',
        workflowId: 'appeal-pending',
        channel: 'web',
        appealType: 'complaint',
        categoryCode: 'urban.garbage',
        content: '垃圾未清运',
        stage: 'triage',
        receivedAt: new Date('2025-11-20T02:00:00Z'),
      },
      'intake',
    );
    const records = createRecordActivities({ db: database.db, log });
    await records.recordStep({
      appealId: 'pending',
      stepKey: 'dispatch-1',
      type: 'dispatched',
      actor: 'center',
      at: '2025-11-20T03:00:00.000Z',
      patch: { stage: 'awaiting_acceptance', pendingActors: ['unit:chaoyang-sanlitun', 'center'] },
    });
    expect((await getAppealRecord(database.db, 'pending'))?.pendingActors).toEqual([
      'unit:chaoyang-sanlitun',
      'center',
    ]);

    await createAssessmentActivities({ db: database.db, log }).recordAccountability({
      appealId: 'pending',
      stepKey: 'late-co-handler-1',
      unitId: 'chaoyang-ecology',
      kind: 'late_co_handler',
      detail: 'co-handler report late',
      at: '2025-11-21T03:00:00.000Z',
      auditStepKey: 'co-handler-late-1',
    });
    const [row] = await database.db
      .select()
      .from(accountabilityRecords)
      .where(eq(accountabilityRecords.appealId, 'pending'));
    expect(row).toMatchObject({ kind: 'late_co_handler', auditStepKey: 'co-handler-late-1' });
  });
});
