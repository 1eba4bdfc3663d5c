/**
 * Work order numbers (工单编号): given in the intake's own transaction, unique and gap-free per
 * Beijing day, kept by a retried intake; told to the requester; taken by the API in place of the
 * appeal id; shown to supervisors in the Temporal UI (search attribute, summary without personal data).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, until, waterOutage, type ApiWorld } from './support/api.js';
import { appealWorkflowId, TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { notificationsIn } from './harness/scenario.js';
import { AppealSummary } from '../workflows/searchAttributes.js';
import { createAppealRecord, getAppealRecord, listAuditEvents } from '../db/queries/cases.js';
import { findAppealIdByWorkOrderNo } from '../db/queries/workOrderNumbers.js';
import { workOrderDays } from '../db/schema/privacy.js';
import { beijingDay, isWorkOrderNo, workOrderNo } from '../domain/workOrderNumbers.js';

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-work-order-numbers`);
  app = world.app;
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

interface CaseView {
  appealId: string;
  workOrderNo?: string;
  stage: string;
}
interface Started {
  created: boolean;
  case: CaseView;
}

const lastNoOf = async (day: string) =>
  (await database.db.select().from(workOrderDays).where(eq(workOrderDays.day, day)))[0]?.lastNo;
const sequenceOf = (no: string) => Number(no.slice(9));

describe('the number itself', () => {
  it('is the Beijing date of intake and the day’s sequence, fixed width', () => {
    expect(beijingDay('2026-11-30T15:59:59.999Z')).toBe('20261130');
    // Midnight in Beijing is 16:00 UTC the day before.
    expect(beijingDay('2026-11-30T16:00:00Z')).toBe('20261201');
    expect(workOrderNo('20261201', 7)).toBe('20261201-000007');
    expect(isWorkOrderNo('20261201-000007')).toBe(true);
    expect(isWorkOrderNo('2026-12-01-7')).toBe(false);
    expect(() => workOrderNo('20261201', 0)).toThrow(RangeError);
    expect(() => workOrderNo('20261201', 1_000_000)).toThrow(RangeError);
  });
});

describe('in the intake’s own statement', () => {
  const record = (id: string, receivedAt: string) => ({
    id,
    workflowId: appealWorkflowId(id),
    channel: 'phone',
    appealType: 'complaint',
    categoryCode: 'environment.noise',
    content: '噪音',
    stage: 'triage',
    receivedAt: new Date(receivedAt),
  });

  it('gives concurrent intakes of one day 1..n exactly, and a retry its first number', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `db-wo-${i}`);
    // Each intake twice at the same time: the retry must neither take a number nor fail.
    const results = await Promise.all(
      [...ids, ...ids].map((id) => createAppealRecord(database.db, record(id, '2026-03-02T01:00:00Z'), 'intake')),
    );
    const first = results.slice(0, 20).map((r) => r.workOrderNo);
    expect(results.slice(20).map((r) => r.workOrderNo)).toEqual(first);
    expect(results.filter((r) => r.created)).toHaveLength(20);
    expect(first.map((no) => no!.slice(0, 9)).every((prefix) => prefix === '20260302-')).toBe(true);
    expect(first.map((no) => sequenceOf(no!)).sort((a, b) => a - b)).toEqual(ids.map((_, i) => i + 1));
    expect(await lastNoOf('20260302')).toBe(20);

    const again = await createAppealRecord(database.db, record('db-wo-3', '2026-03-02T01:00:00Z'), 'intake');
    expect(again).toEqual({ created: false, workOrderNo: first[3] });
    expect(await lastNoOf('20260302')).toBe(20);
    expect(await findAppealIdByWorkOrderNo(database.db, first[3]!)).toBe('db-wo-3');
    expect(await findAppealIdByWorkOrderNo(database.db, '20260302-000021')).toBeUndefined();
  });

  it('keeps its number for an intake recorded while it waited for the day’s counter', async () => {
    await createAppealRecord(database.db, record('db-wo-raced-0', '2026-03-09T01:00:00Z'), 'intake');
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      // Another intake of the same appeal holds the day's counter and has not committed yet.
      await holder.query('begin');
      await holder.query(`update work_order_days set last_no = last_no + 1 where day = '20260309'`);
      await holder.query(
        `insert into appeals (id, workflow_id, channel, appeal_type, category_code, content, stage, received_at, last_seq, work_order_no)
         values ('db-wo-raced', 'appeal-db-wo-raced', 'phone', 'complaint', 'environment.noise', '噪音', 'triage', '2026-03-09T01:00:00Z', 1, '20260309-000002')`,
      );
      await holder.query(
        `insert into audit_events (appeal_id, seq, step_key, type, actor, at) values ('db-wo-raced', 1, 'intake', 'intake', 'intake', '2026-03-09T01:00:00Z')`,
      );
      const retry = createAppealRecord(database.db, record('db-wo-raced', '2026-03-09T01:00:00Z'), 'intake');
      for (let i = 0; i < 200; i++) {
        const blocked = await holder.query(
          `select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%work_order_days%'`,
        );
        if (blocked.rowCount) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await holder.query('commit');
      expect(await retry).toEqual({ created: false, workOrderNo: '20260309-000002' });
    } finally {
      await holder.end();
    }
    expect(await lastNoOf('20260309')).toBe(2);
    expect(await listAuditEvents(database.db, 'db-wo-raced')).toHaveLength(1);
  });

  it('refuses an intake once the day has no number left, and records nothing', async () => {
    await database.db.insert(workOrderDays).values({ day: '20260310', lastNo: 999_998 });
    const last = await createAppealRecord(database.db, record('db-wo-last', '2026-03-10T01:00:00Z'), 'intake');
    expect(last).toEqual({ created: true, workOrderNo: '20260310-999999' });
    await expect(
      createAppealRecord(database.db, record('db-wo-none', '2026-03-10T01:00:00Z'), 'intake'),
    ).rejects.toThrow(RangeError);
    expect(await getAppealRecord(database.db, 'db-wo-none')).toBeUndefined();
  });

  it('takes part in a caller’s transaction', async () => {
    await database.db
      .transaction(async (tx) => {
        const first = await createAppealRecord(tx, record('db-wo-tx', '2026-03-11T01:00:00Z'), 'intake');
        expect(first).toEqual({ created: true, workOrderNo: '20260311-000001' });
        expect(await createAppealRecord(tx, record('db-wo-tx', '2026-03-11T01:00:00Z'), 'intake')).toEqual({
          created: false,
          workOrderNo: '20260311-000001',
        });
        tx.rollback();
      })
      .catch(() => undefined);
    expect(await getAppealRecord(database.db, 'db-wo-tx')).toBeUndefined();
    expect(await lastNoOf('20260311')).toBeUndefined();
  });

  it('counts each Beijing day on its own', async () => {
    const late = await createAppealRecord(database.db, record('db-wo-late', '2026-03-05T15:30:00Z'), 'intake');
    const next = await createAppealRecord(database.db, record('db-wo-next', '2026-03-05T16:30:00Z'), 'intake');
    expect(late.workOrderNo).toBe('20260305-000001');
    expect(next.workOrderNo).toBe('20260306-000001');
  });
});

describe('through the API and Temporal', () => {
  // A Beijing day two days back: an intake records appeals of the last 30 days.
  const DAY = new Date(Date.now() + 8 * 3_600_000 - 2 * 86_400_000).toISOString().slice(0, 10);
  const DAY_NO = DAY.replaceAll('-', '');
  let started: CaseView[] = [];

  /** A start as an intake system sends it: a 503 (busy) is retried with the same key, as the API asks. */
  async function start(i: number) {
    for (let attempt = 1; ; attempt++) {
      const res = await as(
        app,
        'intake',
      )({
        method: 'POST',
        url: '/v1/appeals',
        headers: { 'idempotency-key': `wo-start-${i}` },
        payload: { ...waterOutage(), receivedAt: `${DAY}T0${i % 10}:00:00+08:00` },
      });
      if (res.statusCode !== 503 || attempt === 10) return res;
    }
  }

  it('answers 20 concurrent starts of one day with the numbers 1..20 of that day', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => start(i)));
    for (const res of responses) expect([200, 201], res.body).toContain(res.statusCode);
    started = responses.map((res) => res.json<Started>().case);
    expect(new Set(started.map((c) => c.appealId)).size).toBe(20);
    const numbers = started.map((c) => c.workOrderNo!);
    expect(numbers.every((no) => no.startsWith(`${DAY_NO}-`))).toBe(true);
    expect(numbers.map(sequenceOf).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await lastNoOf(DAY_NO)).toBe(20);
  });

  it('keeps the number when the start is retried', async () => {
    const first = started[5]!;
    const retry = await start(5);
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json<Started>().case).toMatchObject({ appealId: first.appealId, workOrderNo: first.workOrderNo });
    expect(await lastNoOf(DAY_NO)).toBe(20);
  });

  it('reads and acts on a case by its number; an unknown number is a 404', async () => {
    const { appealId, workOrderNo: no } = started[0]!;
    const read = await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${no}` });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json<CaseView>()).toMatchObject({ appealId, workOrderNo: no, stage: 'triage' });

    // A unit outside the case learns nothing, by id or by number.
    expect((await as(app, 'water')({ method: 'GET', url: `/v1/appeals/${no}` })).statusCode).toBe(404);

    const triaged = await as(
      app,
      'center',
    )({ method: 'POST', url: `/v1/appeals/${no}/triage`, payload: { disposition: 'dispatch' } });
    expect(triaged.statusCode, triaged.body).toBe(200);
    expect(triaged.json<CaseView>()).toMatchObject({ appealId, stage: 'awaiting_acceptance', workOrderNo: no });
    const accepted = await as(app, 'water')({ method: 'POST', url: `/v1/appeals/${no}/accept`, payload: {} });
    expect(accepted.statusCode, accepted.body).toBe(200);

    const list = await as(app, 'supervisor')({ method: 'GET', url: '/v1/appeals?limit=200' });
    expect(list.json<{ items: CaseView[] }>().items.find((i) => i.appealId === appealId)?.workOrderNo).toBe(no);

    for (const url of ['/v1/appeals/20260407-000999', '/v1/appeals/19991231-000001'])
      expect((await as(app, 'center')({ method: 'GET', url })).statusCode).toBe(404);
    const unknownAction = await as(
      app,
      'center',
    )({ method: 'POST', url: '/v1/appeals/20260407-000999/triage', payload: { disposition: 'dispatch' } });
    expect(unknownAction.statusCode, unknownAction.body).toBe(404);
    const unknownSignal = await as(
      app,
      'center',
    )({ method: 'POST', url: '/v1/appeals/20260407-000999/callback-answers', payload: { reached: false } });
    expect(unknownSignal.statusCode, unknownSignal.body).toBe(404);
  });

  it('reads a closed case’s assessments by its number', async () => {
    const { appealId, workOrderNo: no } = started[0]!;
    const result = await as(
      app,
      'water',
    )({ method: 'POST', url: `/v1/appeals/${no}/result`, payload: { outcome: 'resolved', summary: '已恢复供水' } });
    expect(result.statusCode, result.body).toBe(200);
    await until(
      async () => (await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${no}` })).json<CaseView>().stage,
      (stage) => stage === 'callback',
    );
    const answer = { reached: true, contacted: true, resolved: true, satisfaction: 'satisfied' };
    const called = await as(app, 'center')({ method: 'POST', url: `/v1/appeals/${no}/callback`, payload: answer });
    expect(called.statusCode, called.body).toBe(200);
    const assessed = await until(
      async () =>
        (await as(app, 'center')({ method: 'GET', url: `/v1/assessments/${no}` })).json<{
          appealId: string;
          items: { unitId: string }[];
        }>(),
      (body) => (body.items?.length ?? 0) > 0,
    );
    expect(assessed).toMatchObject({ appealId, items: [{ unitId: 'beijing-water' }] });
    expect((await as(app, 'center')({ method: 'GET', url: '/v1/assessments/20260407-000999' })).statusCode).toBe(404);
  });

  it('refuses an externalId that has the form of a work order number', async () => {
    const res = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: waterOutage('20260407-000001') });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: 'body/externalId' });
  });

  it('shows the number as a search attribute and a summary without personal data', async () => {
    const { appealId, workOrderNo: no } = started[1]!;
    const found = await until(
      async () => {
        const ids: string[] = [];
        for await (const w of world.env.client.workflow.list({ query: `WorkOrderNo="${no}"` })) ids.push(w.workflowId);
        return ids;
      },
      (ids) => ids.length > 0,
    );
    expect(found).toEqual([appealWorkflowId(appealId)]);

    const description = await world.env.client.workflow.getHandle(appealWorkflowId(appealId)).describe();
    const summary = await description.staticSummary();
    expect(summary).toBe('help · utilities.water.outage · chaoyang · phone');
    for (const personal of ['张三', '13900000000', '停水']) expect(summary).not.toContain(personal);
    // The same line as a search attribute, in clear: the UI's list shows it as a column.
    expect(description.typedSearchAttributes.get(AppealSummary)).toBe(summary);
  });

  it('tells the requester the number at intake', async () => {
    const { appealId, workOrderNo: no } = started[2]!;
    const history = await world.env.client.workflow.getHandle(appealWorkflowId(appealId)).fetchHistory();
    const notices = notificationsIn(history.events ?? []);
    expect(notices).toContainEqual(expect.objectContaining({ to: 'requester', kind: 'received' }));
    expect(notices.find((n) => n.kind === 'received')!.message).toContain(no);
  });
});
