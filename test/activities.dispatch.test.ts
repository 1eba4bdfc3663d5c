import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { failureOf } from './support/failures.js';
import { capturingLogger } from './support/logger.js';
import { seedReferenceData } from '../db/seed/seed.js';
import { createAppealRecord } from '../db/queries/cases.js';
import { getPolicy } from '../db/queries/reference.js';
import { deadlinePolicies } from '../db/schema/index.js';
import { createDispatchActivities } from '../activities/dispatch/index.js';
import { createDeadlineActivities } from '../activities/deadlines/index.js';
import { isKnownYear } from '../activities/deadlines/calendar.js';

/** Everything the activities log, at every level, to check that no requester data is in it. */
const { log, lines: logLines } = capturingLogger();

let database: TestDatabase;
let dispatch: ReturnType<typeof createDispatchActivities>;
let deadlines: ReturnType<typeof createDeadlineActivities>;
beforeAll(async () => {
  database = await createTestDatabase();
  await seedReferenceData(database.db);
  dispatch = createDispatchActivities({ db: database.db, log });
  deadlines = createDeadlineActivities({ db: database.db, log });
});
afterAll(async () => database?.drop());

const centralMilitary = {
  appealId: 'a-1',
  appealType: 'complaint',
  categoryCode: 'central.central_military',
  districtId: 'xicheng',
} as const;

describe('planDispatch', () => {
  it('counts a working-days policy across National Day 2025 on the official calendar', async () => {
    // Sunday 28 September 2025, 10:00 in Beijing: a make-up working day (the start day never counts).
    // Working days: 29, 30 Sep; 1-8 Oct holiday; 9, 10, 11 (make-up Saturday), 13-17, 20-24 Oct.
    // The 15th is Friday 24 October; the deadline is its end, 24:00 Beijing.
    const plan = await dispatch.planDispatch({
      ...centralMilitary,
      at: '2025-09-28T02:00:00.000Z',
    });
    const { limits, lead, rules, ...rest } = plan;
    expect(rest).toEqual({
      route: 'unit',
      leadUnitId: 'central-military-liaison',
      leadUnitKind: 'central_military_liaison',
      districtId: 'xicheng',
      notifyUnitIds: [],
      candidateUnitIds: ['central-military-liaison'],
      policy: { code: 'central-liaison', version: 1 },
      matchedScope: 'city',
      deadlines: { acceptance: '2025-09-28T06:00:00.000Z', handling: '2025-10-24T16:00:00.000Z' },
      calendar: 'official',
    });
    // One read at dispatch: the plan brings what getPolicyLimits and the directory answer on their own.
    expect(limits).toEqual(await deadlines.getPolicyLimits({ policyCode: 'central-liaison', policyVersion: 1 }));
    expect(lead).toMatchObject({ id: 'central-military-liaison', kind: 'central_military_liaison' });
    // The case counts its later deadlines itself: the policy version's windows and the official
    // calendar of the dispatch year and the next (National Day's holidays and the make-up Saturday).
    expect(rules?.windows).toEqual((await getPolicy(database.db, 'central-liaison', 1))!.windows);
    expect(rules?.calendar.years).toEqual([2025, 2026]);
    expect(rules?.calendar.holidays).toEqual(expect.arrayContaining(['2025-10-01', '2025-10-08', '2026-01-01']));
    expect(rules?.calendar.workdays).toContain('2025-10-11');
    expect(rules?.calendar.holidays.every((d) => d >= '2025' && d < '2027')).toBe(true);
  });

  it("uses the policy that lists the appeal type when the catalogue's policy leaves it out", async () => {
    // A suggestion about a water outage: utility-24h covers no suggestions, 'suggestion' does (15 working days).
    const plan = await dispatch.planDispatch({
      appealId: 'a-2',
      appealType: 'suggestion',
      categoryCode: 'utilities.water.outage',
      streetId: 'haidian-zizhuyuan',
      at: '2025-09-30T08:00:00.000Z', // Tuesday 16:00; then 9, 10, 11, 13-17, 20-24, 27, 28 Oct
    });
    expect(plan).toMatchObject({
      route: 'unit',
      leadUnitId: 'beijing-water',
      policy: { code: 'suggestion', version: 1 },
      deadlines: { acceptance: '2025-09-30T10:00:00.000Z', handling: '2025-10-28T16:00:00.000Z' },
      policyNote: "policy 'utility-24h' does not cover suggestion appeals; 'suggestion' applies",
    });
  });

  it('says so in the plan when the official calendar does not know the year (natural days)', async () => {
    expect(isKnownYear(2099)).toBe(false);
    const plan = await dispatch.planDispatch({
      ...centralMilitary,
      at: '2099-03-02T02:00:00.000Z',
    });
    expect(plan).toMatchObject({
      deadlines: { acceptance: '2099-03-02T06:00:00.000Z', handling: '2099-03-17T16:00:00.000Z' },
      calendar: 'natural_fallback',
      calendarNote: expect.stringContaining('2099') as string,
    });
  });

  it('routes to a street with its district government notified, and falls back to the manual queue', async () => {
    expect(
      await dispatch.planDispatch({
        appealId: 'a-3',
        appealType: 'complaint',
        categoryCode: 'urban.garbage',
        streetId: 'chaoyang-sanlitun',
        at: '2025-11-03T01:00:00Z',
      }),
    ).toMatchObject({
      route: 'street',
      leadUnitId: 'chaoyang-sanlitun',
      leadUnitKind: 'street',
      districtId: 'chaoyang',
      notifyUnitIds: ['chaoyang-gov'],
      policy: { code: 'general', version: 1 },
      deadlines: { acceptance: '2025-11-03T03:00:00.000Z', handling: '2025-11-10T01:00:00.000Z' },
    });
    expect(
      await dispatch.planDispatch({
        appealId: 'a-4',
        appealType: 'help',
        categoryCode: 'urban.garbage',
        at: '2025-11-03T01:00:00Z',
      }),
    ).toMatchObject({
      route: 'manual_queue',
      leadUnitId: null,
      leadUnitKind: null,
      districtId: null,
    });
  });

  it('fails without retry on an unknown category or place', async () => {
    const unknown = await failureOf(
      dispatch.planDispatch({
        ...centralMilitary,
        categoryCode: 'no.such',
        at: '2025-10-01T00:00:00Z',
      }),
    );
    expect([unknown.type, unknown.nonRetryable]).toEqual(['UnknownCategory', true]);
    const street = await failureOf(
      dispatch.planDispatch({
        ...centralMilitary,
        streetId: 'chaoyang-sanlitun',
        at: '2025-10-01T00:00:00Z',
      }),
    );
    expect([street.type, street.nonRetryable]).toEqual(['StreetNotInDistrict', true]);
    const instant = await failureOf(dispatch.planDispatch({ ...centralMilitary, at: 'yesterday' }));
    expect([instant.type, instant.nonRetryable]).toEqual(['InvalidInput', true]);
  });
});

describe('a policy change', () => {
  it('applies to orders dispatched after it, and never moves the deadlines of an order dispatched before it', async () => {
    // Dispatched on Monday 29 December 2025 under version 1 (15 working days; 1-3 Jan holiday, Sunday 4 Jan a make-up day).
    const before = await dispatch.planDispatch({
      ...centralMilitary,
      at: '2025-12-29T02:00:00.000Z',
    });
    expect(before.policy).toEqual({ code: 'central-liaison', version: 1 });
    expect(before.deadlines.handling).toBe('2026-01-20T16:00:00.000Z');

    // The policy changes from 1 January 2026: version 2 has shorter handling and extension windows.
    const v1 = (await getPolicy(database.db, 'central-liaison', 1))!;
    await database.db.transaction(async (tx) => {
      await tx
        .update(deadlinePolicies)
        .set({ validTo: '2026-01-01' })
        .where(and(eq(deadlinePolicies.code, 'central-liaison'), eq(deadlinePolicies.version, 1)));
      await tx.insert(deadlinePolicies).values({
        ...v1,
        version: 2,
        validFrom: '2026-01-01',
        validTo: null,
        windows: {
          ...v1.windows,
          handling: { amount: 10, unit: 'working_days' },
          extension: { amount: 5, unit: 'working_days' },
        },
        escalationLevels: 2,
      });
    });

    const after = await dispatch.planDispatch({
      ...centralMilitary,
      appealId: 'a-5',
      at: '2026-01-05T02:00:00.000Z',
    });
    expect(after.policy).toEqual({ code: 'central-liaison', version: 2 });
    expect(after.deadlines.handling).toBe('2026-01-19T16:00:00.000Z');

    // The earlier order asks for new windows on 5 January: still version 1's.
    const from = '2026-01-05T02:00:00.000Z';
    expect(
      await deadlines.computeDeadlines({
        policyCode: 'central-liaison',
        policyVersion: 1,
        from,
        windows: ['handling', 'extension'],
      }),
    ).toEqual({
      deadlines: { handling: '2026-01-26T16:00:00.000Z', extension: '2026-01-26T16:00:00.000Z' },
      calendar: 'official',
    });
    expect(
      await deadlines.computeDeadlines({
        policyCode: 'central-liaison',
        policyVersion: 2,
        from,
        windows: ['handling', 'extension'],
      }),
    ).toEqual({
      deadlines: { handling: '2026-01-19T16:00:00.000Z', extension: '2026-01-12T16:00:00.000Z' },
      calendar: 'official',
    });
    expect(await deadlines.getPolicyLimits({ policyCode: 'central-liaison', policyVersion: 1 })).toEqual({
      acceptanceReminderLimit: 2,
      callbackMaxAttempts: 3,
      escalationLevels: 1,
      callbackOnResult: false,
      warningFractions: [0.5, 0.75],
      rehandlingCap: 2,
      coHandlerMarginHours: 1,
      coHandlerWhenShort: 'main_deadline',
      reminderLimits: [2, 1],
      duplicateWindowDays: 30,
      cityEscalationUnitId: 'city-joint-office',
    });
    expect(
      (await deadlines.getPolicyLimits({ policyCode: 'central-liaison', policyVersion: 2 })).escalationLevels,
    ).toBe(2);
  });

  it('computeDeadlines and getPolicyLimits fail without retry on an unknown version', async () => {
    const failure = await failureOf(
      deadlines.computeDeadlines({
        policyCode: 'general',
        policyVersion: 99,
        from: '2025-10-01T00:00:00Z',
        windows: ['handling'],
      }),
    );
    expect([failure.type, failure.nonRetryable]).toEqual(['UnknownPolicy', true]);
    expect((await failureOf(deadlines.getPolicyLimits({ policyCode: 'nope', policyVersion: 1 }))).type).toBe(
      'UnknownPolicy',
    );
  });

  it('computes natural-hour windows exactly and reports the fallback for unknown years', async () => {
    expect(
      await deadlines.computeDeadlines({
        policyCode: 'emergency',
        policyVersion: 1,
        from: '2025-10-01T00:00:00.000Z',
        windows: ['acceptance', 'handling', 'callbackWindow'],
      }),
    ).toEqual({
      deadlines: {
        acceptance: '2025-10-01T00:15:00.000Z',
        handling: '2025-10-01T02:00:00.000Z',
        callbackWindow: '2025-10-02T00:00:00.000Z',
      },
      calendar: 'official',
    });
    const fallback = await deadlines.computeDeadlines({
      policyCode: 'suggestion',
      policyVersion: 1,
      from: '2099-03-02T02:00:00.000Z',
      windows: ['consultation'],
    });
    expect(fallback).toMatchObject({
      deadlines: { consultation: '2099-03-05T16:00:00.000Z' },
      calendar: 'natural_fallback',
    });
  });
});

describe('triage helpers', () => {
  const phone = '13712345678';
  const question = '屋里暖气片摸着冰凉，温度才十几度，算不算不合格';

  it('searchKnowledgeBase and findDuplicates wrap the queries, and never log requester data', async () => {
    const [best] = await dispatch.searchKnowledgeBase({ question });
    expect(best?.id).toBe('kb-heating-temperature');

    await createAppealRecord(
      database.db,
      {
        id: 'original',
        workflowId: 'appeal-original',
        channel: 'phone',
        appealType: 'complaint',
        categoryCode: 'utilities.heating.insufficient',
        streetId: 'dongcheng-jingshan',
        districtId: 'dongcheng',
        content: question,
        requesterName: '李四',
        requesterPhone: phone,
        stage: 'handling',
        receivedAt: new Date('2025-12-01T01:00:00Z'),
      },
      'intake',
    );
    const candidates = await dispatch.findDuplicates({
      appealId: 'repeat',
      requesterPhone: phone,
      categoryCode: 'utilities.heating.insufficient',
      streetId: 'dongcheng-jingshan',
      at: '2025-12-03T01:00:00.000Z',
      windowDays: 7,
    });
    expect(candidates).toEqual([
      {
        appealId: 'original',
        stage: 'handling',
        leadUnitId: null,
        dueAt: null,
        disposition: null,
        receivedAt: '2025-12-01T01:00:00.000Z',
        closedAt: null,
      },
    ]);
    expect(
      await dispatch.findDuplicates({
        appealId: 'x',
        categoryCode: 'utilities.heating.insufficient',
        at: '2025-12-03T01:00:00Z',
        windowDays: 7,
      }),
    ).toEqual([]);

    const logged = logLines.join('');
    expect(logged).toContain('duplicate candidates found');
    expect(logged).not.toContain(phone);
    expect(logged).not.toContain('李四');
    expect(logged).not.toContain('暖气片');
  });
});
