/**
 * Anonymisation of closed appeals after the retention period (Art. 26), on real servers.
 *
 * As for the monthly assessment (test/assessment.schedule.test.ts), the time-skipping test server
 * has no Schedules: the workflow runs there, started as the Schedule starts it; the Schedule
 * itself is created, checked and triggered on the dev server.
 *
 * Appeals closed 60 days ago lose the requester's name and phone, the content, the address, the
 * attachments and every text written to or about the requester (in the record, the final case
 * and the audit trail, and what was sent to the requester); the rankings and rates of their month,
 * the assessments, their counts and the accountability records are the same before and after.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ScheduleClient, WorkflowClient } from '@temporalio/client';
import { connectDevServer, createTimeSkippingEnv, workflowBundle } from './support/temporal.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { insertAssessments, type Answer } from './support/assessmentRows.js';
import { testLogger } from './support/logger.js';
import { createWorker } from '../worker/createWorker.js';
import { anonymisationWorkflow } from '../workflows/index.js';
import type { AnonymisationOutcome } from '../workflows/privacy/definitions.js';
import {
  anonymisationScheduleDifferences,
  ensureAnonymisationSchedule,
  ensureSchedules,
} from '../scripts/lib/schedules.js';
import {
  accountabilityRecords,
  appeals,
  assessmentCounts,
  assessments,
  auditEvents,
  webhookDeliveries,
} from '../db/schema/index.js';
import type { DbOrTx } from '../db/client.js';
import { monthRanking, unitMonthRates } from '../db/queries/rates.js';
import { beijingMonthOf } from '../domain/months.js';
import { ANONYMISED, scrubJson, scrubText } from '../domain/privacy.js';
import type { AttachmentRef } from '../domain/appeal.js';
import { loadRetentionDays, loadWorkerConfig } from '../worker/config.js';

const DAY = 24 * 3600 * 1000;
const NAME = '张三丰';
const PHONE = '13912345678';
const PHOTO: AttachmentRef = {
  url: 'https://media.example/p/1.jpg',
  contentType: 'image/jpeg',
  size: 1000,
  sha256: 'a'.repeat(64),
};

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

/**
 * A closed appeal as the process leaves it, with personal data everywhere it can be: the record,
 * its final case, its audit trail, an accountability record and a message sent to the requester.
 */
async function closedAppeal(db: DbOrTx, closedAt: Date, answers: [boolean, boolean, Answer]): Promise<string> {
  const [id] = await insertAssessments(db, `anon-${randomUUID().slice(0, 8)}`, [
    { unit: 'beijing-water', at: closedAt.toISOString(), answers },
  ]);
  const at = closedAt.toISOString();
  const result = { outcome: 'resolved', summary: `已联系${NAME}（${PHONE}），已恢复供水`, at, attachments: [PHOTO] };
  const callback = {
    attempts: 1,
    reached: true,
    contacted: answers[0],
    resolved: answers[1],
    satisfaction: answers[2],
  };
  await db
    .update(appeals)
    .set({
      requesterName: NAME,
      requesterPhone: PHONE,
      content: `我是${NAME}，小区停水两天，请回电${PHONE}`,
      address: '朝阳区某小区3号楼',
      districtId: 'chaoyang',
      streetId: 'chaoyang-jianwai',
      leadUnitId: 'beijing-water',
      attachments: [PHOTO],
      result,
      callback,
      finalCase: {
        appealId: id!,
        stage: 'closed',
        appealType: 'help',
        categoryCode: 'utilities.water.outage',
        districtId: 'chaoyang',
        leadUnitId: 'beijing-water',
        supervisingUnitIds: [],
        coHandlers: [
          {
            unitId: 'state-grid-beijing',
            task: '协助',
            dueAt: at,
            status: 'done',
            workflowId: 'w',
            attachments: [PHOTO],
            interimReports: [{ at, report: `${NAME}家已停电检修` }],
            report: `已告知${NAME}恢复时间`,
          },
        ],
        whistle: {
          reason: '需执法',
          departments: [{ unitId: 'city-urban-enforcement', status: 'done', dueAt: at, note: `已到${NAME}家` }],
          earlier: [
            {
              reason: '需供水',
              departments: [{ unitId: 'beijing-water', status: 'done', dueAt: at, note: `电话${PHONE}` }],
            },
          ],
        },
        deadlines: { handling: at },
        overdue: false,
        escalationLevel: 0,
        acceptanceReminders: 0,
        result: result as never,
        callback: callback as never,
        rehandlings: 0,
        triageHints: {
          knowledge: [],
          duplicates: [
            {
              appealId: 'other',
              stage: 'closed',
              leadUnitId: null,
              dueAt: null,
              disposition: null,
              receivedAt: at,
              closedAt: at,
            },
          ],
        },
        nextActor: 'none',
        waitingSince: at,
        timeline: [
          { at, type: 'intake', actor: 'intake' },
          { at, type: 'dispatch_objection', actor: 'unit:beijing-water', reason: `${NAME}家的管道归物业` },
          { at, type: 'first_contact', actor: 'unit:beijing-water', reason: `电话${PHONE}` },
          { at, type: 'result_reported', actor: 'unit:beijing-water', reason: result.summary },
          { at, type: 'report_in', actor: 'unit:city-urban-enforcement', reason: `已到${NAME}家` },
        ],
      },
    })
    .where(eq(appeals.id, id!));
  // As a case whose close did not clear the current case it kept: the same texts there too.
  await db
    .update(appeals)
    .set({ currentCase: sql`${appeals.finalCase}` })
    .where(eq(appeals.id, id!));
  const event = (seq: number, type: string, reason: string | null, payload: Record<string, unknown> = {}) => ({
    appealId: id!,
    seq,
    stepKey: `step-${seq}`,
    type,
    actor: 'unit:beijing-water',
    reason,
    payload,
    at: closedAt,
  });
  await db
    .insert(auditEvents)
    .values([
      event(1, 'intake', null, { channel: 'phone', appealType: 'help', categoryCode: 'utilities.water.outage' }),
      event(2, 'dispatch_objection', `${NAME}家的管道归物业`),
      event(3, 'first_contact', `电话${PHONE}`),
      event(4, 'co_handler_report', null, { report: `已上门见到${NAME}`, interim: false, attachments: [PHOTO] }),
      event(5, 'result_reported', result.summary, { outcome: 'resolved', attachments: [PHOTO] }),
      event(6, 'report_in', `已到${NAME}家`),
      event(7, 'closed', null),
    ]);
  await db.insert(accountabilityRecords).values({
    appealId: id!,
    stepKey: 'late-acceptance',
    unitId: 'beijing-water',
    kind: 'late_acceptance',
    detail: 'accepted 2 h late',
    at: closedAt,
  });
  const delivery = (audience: 'requester' | 'unit', unitId: string, message: string, kind = 'result') => ({
    deliveryId: `${id}-${audience}-${kind}`,
    appealId: id!,
    unitId,
    audience,
    kind,
    status: 'delivered' as const,
    attempts: 1,
    payload: { deliveryId: `${id}-${audience}-${kind}`, appealId: id!, audience, unitId, kind, message, at },
    deliveredAt: closedAt,
  });
  await db.insert(webhookDeliveries).values([
    delivery('requester', 'requester', result.summary),
    delivery('unit', 'beijing-water', `Appeal ${id} closed.`),
    // The lead told what its co-handler reported: the report's text goes with the case's.
    delivery('unit', 'beijing-water', `Co-handler gave its final report: 已告知${NAME}恢复时间`, 'co_handler_report'),
  ]);
  return id!;
}

/** Everything the statistics are made of, for one month. */
async function statistics(db: DbOrTx, month: string, ids: string[]) {
  return {
    ranking: await monthRanking(db, month, 'enterprise'),
    rates: await unitMonthRates(db, 'beijing-water', month),
    assessments: await db.select().from(assessments).orderBy(asc(assessments.appealId)),
    counts: await db.select().from(assessmentCounts),
    accountability: await db.select().from(accountabilityRecords).orderBy(asc(accountabilityRecords.appealId)),
    facts: await db
      .select({
        id: appeals.id,
        stage: appeals.stage,
        categoryCode: appeals.categoryCode,
        districtId: appeals.districtId,
        streetId: appeals.streetId,
        leadUnitId: appeals.leadUnitId,
        receivedAt: appeals.receivedAt,
        closedAt: appeals.closedAt,
      })
      .from(appeals)
      .where(inArray(appeals.id, ids))
      .orderBy(asc(appeals.id)),
  };
}

describe('what anonymisation erases of a text and a stored value', () => {
  it('erases the name, the phone and any mobile number, and texts written to or about the requester', () => {
    const who = { name: NAME, phone: PHONE };
    expect(scrubText(`${NAME}说13800001111和${PHONE}都能打`, who)).toBe(
      `${ANONYMISED}说${ANONYMISED}和${ANONYMISED}都能打`,
    );
    // A one-character name would erase a common character: left, the phone still goes.
    expect(scrubText('王说', { name: '王' })).toBe('王说');
    expect(
      scrubJson(
        {
          outcome: 'resolved',
          summary: '已修好',
          attachments: [PHOTO],
          requester: who,
          triageHints: {},
          n: 3,
          timeline: [
            { type: 'result_reported', reason: '已修好' },
            { type: 'accepted', reason: `${NAME}家` },
          ],
        },
        who,
      ),
    ).toEqual({
      outcome: 'resolved',
      summary: ANONYMISED,
      attachments: [],
      n: 3,
      timeline: [
        { type: 'result_reported', reason: ANONYMISED },
        { type: 'accepted', reason: `${ANONYMISED}家` },
      ],
    });
  });
});

describe('the retention (PERSONAL_DATA_RETENTION_DAYS)', () => {
  it('defaults to 180 days and refuses a number of days out of range or not a number, naming the variable', () => {
    expect(loadRetentionDays({})).toBe(180);
    expect(loadRetentionDays({ PERSONAL_DATA_RETENTION_DAYS: '30' })).toBe(30);
    expect(loadWorkerConfig({ DATABASE_URL: 'postgres://x/y' }).PERSONAL_DATA_RETENTION_DAYS).toBe(180);
    for (const bad of ['0', '-3', '40000', 'half a year'])
      expect(() => loadRetentionDays({ PERSONAL_DATA_RETENTION_DAYS: bad }), bad).toThrow(
        /PERSONAL_DATA_RETENTION_DAYS/,
      );
  });
});

describe('on the time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('anonymises the appeals closed before the retention period in batches, once; the statistics stay', async () => {
    const db = database.db;
    const now = await env.currentTimeMs();
    const longAgo = new Date(now - 60 * DAY);
    const month = beijingMonthOf(longAgo);
    const old = [
      await closedAppeal(db, longAgo, [true, true, 'satisfied']),
      await closedAppeal(db, new Date(longAgo.getTime() + 1000), [true, false, 'unsatisfied']),
      await closedAppeal(db, new Date(longAgo.getTime() + 2000), [false, true, 'basically_satisfied']),
      await closedAppeal(db, new Date(longAgo.getTime() + 3000), [true, true, 'satisfied']),
      await closedAppeal(db, new Date(longAgo.getTime() + 4000), [true, true, 'basically_satisfied']),
    ];
    const recent = await closedAppeal(db, new Date(now - 10 * DAY), [true, true, 'satisfied']);
    const ids = [...old, recent];
    const before = await statistics(db, month, ids);
    expect(before.ranking.items.find((i) => i.unitId === 'beijing-water')).toMatchObject({ valid: 5 });

    const worker = await createWorker({
      connection: env.nativeConnection,
      db,
      log: testLogger,
      workflowBundle: workflowBundle(),
    });
    const workflows = new WorkflowClient({ connection: env.connection, namespace: env.namespace });
    const run = (workflowId: string) =>
      workflows.execute(anonymisationWorkflow, {
        taskQueue: 'appeals',
        workflowId,
        // Two appeals a batch, two batches a run: the run continues as new once before it is done.
        args: [{ retentionDays: 30, batchSize: 2, batchesPerRun: 2 }],
      });
    const [first, again] = await worker.runUntil(async () => [
      await run(`anonymisation-${randomUUID()}`),
      await run(`anonymisation-${randomUUID()}`),
    ]);
    expect(first).toMatchObject<Partial<AnonymisationOutcome>>({
      appeals: 5,
      batches: 3,
      // Per appeal: the objection, the first contact, the co-handler's report, the result, the report-in.
      auditEvents: 25,
      // Per appeal: the requester's message and the co-handler's report passed on to the lead.
      deliveries: 10,
    });
    // The run's own clock, 30 days back.
    expect(Date.parse(first.closedBefore) - (now - 30 * DAY)).toBeGreaterThanOrEqual(0);
    expect(Date.parse(first.closedBefore) - (now - 30 * DAY)).toBeLessThan(60_000);
    expect(again).toMatchObject({ appeals: 0, auditEvents: 0, deliveries: 0, batches: 1 });

    // The statistics: the same, to the last row.
    expect(await statistics(db, month, ids)).toEqual(before);

    // The personal data: gone from the old appeals, everywhere.
    const rows = await db.select().from(appeals).where(inArray(appeals.id, old));
    for (const row of rows) {
      expect(row).toMatchObject({
        requesterName: null,
        requesterPhone: null,
        content: ANONYMISED,
        address: null,
        attachments: [],
        result: { outcome: 'resolved', summary: ANONYMISED, attachments: [] },
        stage: 'closed',
        streetId: 'chaoyang-jianwai',
      });
      expect(row.anonymisedAt).toBeInstanceOf(Date);
      expect(row.currentCase).toBeNull();
      const finalCase = JSON.stringify(row.finalCase);
      expect(finalCase).not.toContain(NAME);
      expect(finalCase).not.toContain(PHONE);
      expect(finalCase).not.toContain('media.example');
      expect(row.finalCase).not.toHaveProperty('triageHints');
      expect(row.finalCase?.timeline.map((t) => t.reason)).toEqual([
        undefined,
        `${ANONYMISED}家的管道归物业`,
        ANONYMISED,
        ANONYMISED,
        ANONYMISED,
      ]);
      // What the units sent, as the case keeps it.
      expect(row.finalCase?.coHandlers[0]).toMatchObject({
        report: ANONYMISED,
        interimReports: [{ report: ANONYMISED }],
      });
      expect(row.finalCase?.whistle).toMatchObject({
        reason: '需执法',
        departments: [{ note: ANONYMISED }],
        earlier: [{ reason: '需供水', departments: [{ note: ANONYMISED }] }],
      });
      expect(row.finalCase?.callback).toEqual(row.callback);
    }
    const events = await db.select().from(auditEvents).where(inArray(auditEvents.appealId, old));
    expect(JSON.stringify(events)).not.toMatch(new RegExp(`${NAME}|${PHONE}|media\\.example`));
    expect(events.filter((e) => e.type === 'intake').map((e) => e.payload)).toEqual(
      old.map(() => ({ channel: 'phone', appealType: 'help', categoryCode: 'utilities.water.outage' })),
    );
    const sent = await db.select().from(webhookDeliveries).where(inArray(webhookDeliveries.appealId, old));
    expect(sent.filter((d) => d.audience === 'requester').map((d) => d.payload.message)).toEqual(
      old.map(() => ANONYMISED),
    );
    expect(JSON.stringify(sent)).not.toContain(PHONE);
    expect(sent.filter((d) => d.kind === 'co_handler_report').map((d) => d.payload.message)).toEqual(
      old.map(() => ANONYMISED),
    );
    expect(
      sent
        .filter((d) => d.kind === 'result' && d.audience === 'unit')
        .every((d) => d.payload.message.endsWith('closed.')),
    ).toBe(true);

    // Within the retention period: untouched.
    const [kept] = await db.select().from(appeals).where(eq(appeals.id, recent));
    expect(kept).toMatchObject({ requesterName: NAME, requesterPhone: PHONE, anonymisedAt: null });
  });
});

describe('the Schedule, on the dev server', () => {
  let env: TestWorkflowEnvironment;
  const taskQueue = `anonymisation-test-${randomUUID()}`;
  const scheduleIds = {
    monthlyAssessment: `monthly-assessment-test-${randomUUID()}`,
    anonymisation: `anonymisation-test-${randomUUID()}`,
  };
  beforeAll(async () => {
    env = await connectDevServer();
  });
  afterAll(async () => {
    const schedules = new ScheduleClient({ connection: env.connection, namespace: env.namespace });
    for (const id of Object.values(scheduleIds))
      await schedules
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    await env?.teardown();
  });

  it('is created with the monthly one, daily at 03:00 Beijing time with the retention as its argument', async () => {
    const namespace = env.namespace ?? 'default';
    expect(await ensureSchedules(env.connection, namespace, taskQueue, { scheduleIds, retentionDays: 30 })).toEqual([
      { scheduleId: scheduleIds.monthlyAssessment, change: 'created' },
      { scheduleId: scheduleIds.anonymisation, change: 'created' },
    ]);
    const handle = new ScheduleClient({ connection: env.connection, namespace }).getHandle(scheduleIds.anonymisation);
    const description = await handle.describe();
    expect(description.spec.timezone).toBe('Asia/Shanghai');
    expect(description.spec.calendars?.[0]).toMatchObject({
      second: [{ start: 0, end: 0 }],
      minute: [{ start: 0, end: 0 }],
      hour: [{ start: 3, end: 3 }],
    });
    expect(description.action).toMatchObject({
      workflowType: 'anonymisationWorkflow',
      taskQueue,
      args: [{ retentionDays: 30 }],
    });
    expect(description.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: DAY });
    expect(anonymisationScheduleDifferences(description, taskQueue, 30)).toEqual([]);
    const next = description.info.nextActionTimes[0]!;
    expect(new Date(next.getTime() + 8 * 3600 * 1000).toISOString()).toMatch(/T03:00:00/);

    const again = { scheduleId: scheduleIds.anonymisation, retentionDays: 30 };
    expect((await ensureAnonymisationSchedule(env.connection, namespace, taskQueue, again)).change).toBe('unchanged');
    // A new retention is an update of the argument.
    expect(
      (await ensureAnonymisationSchedule(env.connection, namespace, taskQueue, { ...again, retentionDays: 90 })).change,
    ).toBe('updated');
    expect((await handle.describe()).action).toMatchObject({ args: [{ retentionDays: 90 }] });
    expect((await ensureAnonymisationSchedule(env.connection, namespace, taskQueue, again)).change).toBe('updated');
  });

  it('triggered, runs the workflow with its retention, which anonymises what is older', async () => {
    const namespace = env.namespace ?? 'default';
    const old = await closedAppeal(database.db, new Date(Date.now() - 45 * DAY), [true, true, 'satisfied']);
    const handle = new ScheduleClient({ connection: env.connection, namespace }).getHandle(scheduleIds.anonymisation);
    const workflows = new WorkflowClient({ connection: env.connection, namespace });
    const worker = await createWorker({
      connection: env.nativeConnection,
      namespace,
      taskQueue,
      db: database.db,
      log: testLogger,
      workflowBundle: workflowBundle(),
    });
    await worker.runUntil(async () => {
      await handle.trigger();
      let workflowId: string | undefined;
      while (!workflowId) {
        workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
        if (!workflowId) await new Promise((r) => setTimeout(r, 100));
      }
      expect(workflowId).toMatch(new RegExp(`^${scheduleIds.anonymisation}-`));
      const outcome = (await workflows.getHandle(workflowId).result()) as AnonymisationOutcome;
      expect(outcome).toMatchObject({ appeals: 1, batches: 1 });
    });
    const [row] = await database.db.select().from(appeals).where(eq(appeals.id, old));
    expect(row).toMatchObject({ requesterName: null, requesterPhone: null, content: ANONYMISED });
  });
});
