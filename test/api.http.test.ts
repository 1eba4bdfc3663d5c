import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, dispatchAsCenter, startApiWorld, until, waterOutage, type ApiWorld } from './support/api.js';
import { createWorker } from '../worker/createWorker.js';
import { listAuditEvents } from '../db/queries/cases.js';
import { testLogger } from './support/logger.js';
import { workflowBundle } from './support/temporal.js';
import { appealWorkflowId, caseQuery, TASK_QUEUE, type WorkOrder } from '../workflows/appeal/definitions.js';

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-api-http`);
  app = world.app;
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

interface Started {
  created: boolean;
  case: { appealId: string; stage: string };
}
interface Page {
  items: { appealId: string; nextActor: string | null; involvedUnitIds: string[]; pendingActors: string[] }[];
  nextCursor: string | null;
}
interface CaseView {
  stage: string;
  source: string;
  timeline: { type: string }[];
}

let seq = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now()}-${++seq}`;
async function startWaterCase(): Promise<string> {
  const res = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Started>().case.appealId;
}

describe('HTTP API against the dev server, the worker and PostgreSQL', () => {
  it('drives a water outage from intake to callback and close, only through HTTP', async () => {
    const start = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
    expect(start.statusCode, start.body).toBe(201);
    const started = start.json<Started>();
    expect(started.created).toBe(true);
    expect(started.case.stage).toBe('triage');
    const id = started.case.appealId;
    const description = await world.env.client.workflow.getHandle(appealWorkflowId(id)).describe();
    expect(description.taskQueue).toBe(world.taskQueue);

    const triaged = await as(
      app,
      'center',
    )({ method: 'POST', url: `/v1/appeals/${id}/triage`, payload: { disposition: 'dispatch' } });
    expect(triaged.statusCode, triaged.body).toBe(200);
    expect(triaged.json()).toMatchObject({
      stage: 'awaiting_acceptance',
      leadUnitId: 'beijing-water',
      nextActor: 'unit:beijing-water',
    });

    const inbox = await as(app, 'water')({ method: 'GET', url: '/v1/units/beijing-water/inbox' });
    expect(inbox.statusCode).toBe(200);
    const item = inbox.json<Page>().items.find((i) => i.appealId === id);
    expect(item).toMatchObject({ nextActor: 'unit:beijing-water', involvedUnitIds: ['beijing-water'] });

    const accepted = await as(app, 'water')({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {} });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ stage: 'handling' });

    const result = await as(
      app,
      'water',
    )({ method: 'POST', url: `/v1/appeals/${id}/result`, payload: { outcome: 'resolved', summary: '已恢复供水' } });
    expect(result.statusCode, result.body).toBe(200);

    // The water policy calls back as soon as the result is reported.
    const inCallback = await until(
      async () => (await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${id}` })).json<CaseView>(),
      (c) => c.stage === 'callback',
    );
    expect(inCallback.stage).toBe('callback');
    const callback = await as(
      app,
      'center',
    )({
      method: 'POST',
      url: `/v1/appeals/${id}/callback`,
      payload: { reached: true, contacted: true, resolved: true, satisfaction: 'satisfied' },
    });
    expect(callback.statusCode, callback.body).toBe(200);

    const closed = await until(
      async () => (await as(app, 'supervisor')({ method: 'GET', url: `/v1/appeals/${id}` })).json<CaseView>(),
      (c) => c.stage === 'closed' && c.source === 'record',
    );
    expect(closed).toMatchObject({ stage: 'closed', source: 'record', leadUnitId: 'beijing-water' });
    expect(closed.timeline.map((e) => e.type)).toContain('callback_answered');
    // The record answers exactly what the workflow last knew (the same shape, nothing lost).
    const last = await world.env.client.workflow.getHandle(appealWorkflowId(id)).query(caseQuery);
    // (With the work order beside it, read from the record: the workflow does not keep the content.)
    expect(closed).toEqual({
      ...last,
      involvedUnitIds: ['beijing-water'],
      source: 'record',
      workOrder: expect.objectContaining({ categoryCode: 'utilities.water.outage' }) as unknown,
    });

    const listed = await as(
      app,
      'center',
    )({ method: 'GET', url: `/v1/appeals?stage=closed&categoryCode=utilities.water.outage` });
    expect(listed.statusCode).toBe(200);
    expect(listed.json<Page>().items.map((i) => i.appealId)).toContain(id);

    // After the close, an action is a conflict with the case's state, not an unknown appeal.
    const late = await as(app, 'water')({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {} });
    expect(late.statusCode).toBe(409);
  });

  it('takes a callback answer as a fire-and-forget signal (202) and closes the case on it', async () => {
    const id = await startWaterCase();
    const center = as(app, 'center');
    const water = as(app, 'water');
    const triaged = await center({
      method: 'POST',
      url: `/v1/appeals/${id}/triage`,
      payload: { disposition: 'dispatch' },
    });
    expect(triaged.statusCode, triaged.body).toBe(200);
    const accepted = await water({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {} });
    expect(accepted.statusCode, accepted.body).toBe(200);
    const result = await water({
      method: 'POST',
      url: `/v1/appeals/${id}/result`,
      payload: { outcome: 'resolved', summary: '已恢复供水' },
    });
    expect(result.statusCode, result.body).toBe(200);
    const inCallback = await until(
      async () => (await center({ method: 'GET', url: `/v1/appeals/${id}` })).json<CaseView>(),
      (c) => c.stage === 'callback',
    );
    expect(inCallback.stage).toBe('callback');

    const answer = { reached: true, contacted: true, resolved: true, satisfaction: 'satisfied' };
    // Only the center (or admin) speaks for telephony; the signal's role gate answers before anything is sent.
    const asUnit = await water({ method: 'POST', url: `/v1/appeals/${id}/callback-answers`, payload: answer });
    expect(asUnit.statusCode, asUnit.body).toBe(403);
    const bad = await center({
      method: 'POST',
      url: `/v1/appeals/${id}/callback-answers`,
      payload: { reached: 'maybe' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'body/reached' });
    const unknown = await center({
      method: 'POST',
      url: '/v1/appeals/no-such-appeal/callback-answers',
      payload: answer,
    });
    expect(unknown.statusCode, unknown.body).toBe(404);

    const sent = await center({ method: 'POST', url: `/v1/appeals/${id}/callback-answers`, payload: answer });
    expect(sent.statusCode, sent.body).toBe(202);
    expect(sent.json()).toEqual({ accepted: true, appealId: id });

    const closed = await until(
      async () => (await as(app, 'supervisor')({ method: 'GET', url: `/v1/appeals/${id}` })).json<CaseView>(),
      (c) => c.stage === 'closed' && c.source === 'record',
    );
    expect(closed).toMatchObject({ stage: 'closed', source: 'record' });
    expect(closed.timeline.map((e) => e.type)).toContain('callback_answered');

    // Once closed, the workflow is gone but the record is not: a conflict, not an unknown appeal.
    const late = await center({ method: 'POST', url: `/v1/appeals/${id}/callback-answers`, payload: answer });
    expect(late.statusCode, late.body).toBe(409);
  });

  it('starts idempotently: same key and body → one workflow; same key, other body → 409', async () => {
    const key = uniqueId('idem');
    const body = waterOutage();
    const first = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: body, headers: { 'idempotency-key': key } });
    const second = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: body, headers: { 'idempotency-key': key } });
    expect(first.statusCode, first.body).toBe(201);
    expect(second.statusCode, second.body).toBe(200);
    const a = first.json<Started>();
    const b = second.json<Started>();
    expect(b.created).toBe(false);
    expect(b.case.appealId).toBe(a.case.appealId);
    const runs = [];
    for await (const w of world.env.client.workflow.list({
      query: `WorkflowId = '${appealWorkflowId(a.case.appealId)}'`,
    }))
      runs.push(w);
    expect(runs.length).toBeLessThanOrEqual(1);

    // A start refused as invalid does not use up its key: the corrected request goes through.
    const retryKey = uniqueId('idem-fixed');
    const refused = await as(
      app,
      'intake',
    )({
      method: 'POST',
      url: '/v1/appeals',
      payload: { ...body, categoryCode: 'no.such.category' },
      headers: { 'idempotency-key': retryKey },
    });
    expect(refused.statusCode).toBe(400);
    const fixed = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: body, headers: { 'idempotency-key': retryKey } });
    expect(fixed.statusCode, fixed.body).toBe(201);

    const other = await as(
      app,
      'intake',
    )({
      method: 'POST',
      url: '/v1/appeals',
      payload: { ...body, content: '另一件事' },
      headers: { 'idempotency-key': key },
    });
    expect(other.statusCode).toBe(409);

    // The caller's external id is the appeal id and an idempotency key of its own.
    const externalId = uniqueId('ext');
    const e1 = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage(externalId) });
    const e2 = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage(externalId) });
    expect([e1.statusCode, e2.statusCode]).toEqual([201, 200]);
    expect(e2.json<Started>().case.appealId).toBe(externalId);
    const e3 = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: { ...waterOutage(externalId), content: '别的' } });
    expect(e3.statusCode).toBe(409);
  });

  it('makes an action idempotent by its key: a retry answers the first outcome instead of a conflict', async () => {
    const id = await startWaterCase();
    await as(app, 'center')({ method: 'POST', url: `/v1/appeals/${id}/triage`, payload: { disposition: 'dispatch' } });
    const accept = (headers: Record<string, string>) =>
      as(app, 'water')({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {}, headers });
    const first = await accept({ 'idempotency-key': 'accept-1' });
    const retried = await accept({ 'idempotency-key': 'accept-1' });
    expect(first.statusCode, first.body).toBe(200);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json<{ stage: string; timeline: unknown[] }>()).toEqual(first.json());
    // Without the key, the same action again is what it is: not allowed any more.
    const again = await accept({});
    expect(again.statusCode).toBe(409);
    const timeline = (await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${id}` })).json<CaseView>().timeline;
    expect(timeline.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });

  it('refuses an action key reused for another action or body, instead of answering an action never taken', async () => {
    const id = await startWaterCase();
    const triage = (payload: object) =>
      as(
        app,
        'center',
      )({
        method: 'POST',
        url: `/v1/appeals/${id}/triage`,
        payload,
        headers: { 'idempotency-key': 'reused-1' },
      });
    expect((await triage({ disposition: 'dispatch' })).statusCode).toBe(200);
    const otherBody = await triage({ disposition: 'explained', reason: '已解释', answer: '已向您说明' });
    expect(otherBody.statusCode, otherBody.body).toBe(409);
    expect(otherBody.json<{ message: string }>().message).toBe(
      'Idempotency-Key was already used with a different request (another action, appeal or body)',
    );
    const water = (url: string, payload: object) =>
      as(app, 'water')({ method: 'POST', url, payload, headers: { 'idempotency-key': 'reused-2' } });
    expect((await water(`/v1/appeals/${id}/accept`, {})).statusCode).toBe(200);
    const result = await water(`/v1/appeals/${id}/result`, { outcome: 'resolved', summary: '已恢复供水' });
    expect(result.statusCode, result.body).toBe(409);
    // Nothing was taken under the reused key: the case is still being handled, and a fresh key reports.
    const read = (await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${id}` })).json<CaseView>();
    expect(read.stage).toBe('handling');
    expect(read.timeline.map((e) => e.type)).not.toContain('result_reported');
    const reported = await as(
      app,
      'water',
    )({
      method: 'POST',
      url: `/v1/appeals/${id}/result`,
      payload: { outcome: 'resolved', summary: '已恢复供水' },
      headers: { 'idempotency-key': 'reused-3' },
    });
    expect(reported.statusCode, reported.body).toBe(200);
  });

  it('answers each error status for real', async () => {
    const id = await startWaterCase();
    const center = as(app, 'center');

    const missing = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: { ...waterOutage(), content: undefined } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ field: 'body/content' });
    const extra = await center({
      method: 'POST',
      url: `/v1/appeals/${id}/triage`,
      payload: { disposition: 'dispatch', by: { role: 'unit', unitId: 'x' } },
    });
    expect(extra.statusCode).toBe(400);
    const badPhone = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: { ...waterOutage(), requester: { phone: 'call me' } } });
    expect(badPhone.json()).toMatchObject({ statusCode: 400, field: 'body/requester/phone' });
    const badCategory = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: { ...waterOutage(), categoryCode: 'no.such' } });
    expect(badCategory.json()).toMatchObject({ statusCode: 400, field: 'body/categoryCode' });

    expect((await as(app, undefined)({ method: 'GET', url: `/v1/appeals/${id}` })).statusCode).toBe(401);
    expect(
      (await app.inject({ method: 'GET', url: `/v1/appeals/${id}`, headers: { authorization: 'Bearer nope' } }))
        .statusCode,
    ).toBe(401);

    expect((await center({ method: 'GET', url: '/v1/appeals/no-such-appeal' })).statusCode).toBe(404);
    expect(
      (await center({ method: 'POST', url: '/v1/appeals/no-such-appeal/triage', payload: { disposition: 'dispatch' } }))
        .statusCode,
    ).toBe(404);

    // 409: the stage does not allow it, with the workflow's message.
    const early = await center({ method: 'POST', url: `/v1/appeals/${id}/callback`, payload: { reached: false } });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'ActionNotAllowed' });
    // Named by its path, as the caller knows it, not by the workflow's Update (recordCallback).
    expect(early.json<{ message: string }>().message).toMatch(/^callback is not allowed in stage triage: /);

    await center({ method: 'POST', url: `/v1/appeals/${id}/triage`, payload: { disposition: 'dispatch' } });
    await as(app, 'water')({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {} });
    // 403 from the workflow: the lead unit is not a co-handler of its own case.
    const notCo = await as(
      app,
      'water',
    )({ method: 'POST', url: `/v1/appeals/${id}/co-handler-report`, payload: { report: 'done' } });
    expect(notCo.statusCode, notCo.body).toBe(403);
    expect(notCo.json()).toMatchObject({ code: 'ActionForbidden' });

    const huge = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: { ...waterOutage(), content: 'x'.repeat(300 * 1024) } });
    expect(huge.statusCode).toBe(413);
    const text = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.statusCode).toBe(415);
    const brokenJson = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: '{"channel":', headers: { 'content-type': 'application/json' } });
    expect(brokenJson.statusCode).toBe(400);

    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/jiesu_updates_rejected_total\{type="ActionNotAllowed"\} [1-9]/);
    expect(metrics.body).toMatch(/jiesu_appeals_started_total [1-9]/);
    expect(metrics.body).toContain('jiesu_appeals_overdue');
    expect(metrics.body).toContain('http_requests_total{method="POST",route="/v1/appeals/:id/callback",status="409"}');
  });

  it('answers 503 with Retry-After when Temporal or PostgreSQL is unreachable', async () => {
    const noTemporal = await world.buildApi({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    const noPostgres = await world.buildApi({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    try {
      const t = await as(noTemporal, 'center')({ method: 'GET', url: '/v1/appeals/anything' });
      expect(t.statusCode, t.body).toBe(503);
      expect(t.headers['retry-after']).toBe('5');
      const p = await as(noPostgres, 'center')({ method: 'GET', url: '/v1/appeals' });
      expect(p.statusCode, p.body).toBe(503);
      expect(p.headers['retry-after']).toBe('5');
    } finally {
      await Promise.all([noTemporal.close(), noPostgres.close()]);
    }
  });

  it('answers 503 when no worker takes an action or a read in time, instead of hanging', async () => {
    // A case whose task queue no worker polls (as when every worker is down).
    const appealId = uniqueId('no-worker');
    const order: WorkOrder = { ...waterOutage(), appealId, receivedAt: new Date().toISOString() };
    const handle = await world.env.client.workflow.start('appealWorkflow', {
      taskQueue: `${TASK_QUEUE}-no-worker`,
      workflowId: appealWorkflowId(appealId),
      args: [order],
    });
    const impatient = await world.buildApi({ WORKFLOW_TIMEOUT_MS: '1000' });
    try {
      const res = await as(
        impatient,
        'center',
      )({
        method: 'POST',
        url: `/v1/appeals/${appealId}/triage`,
        payload: { disposition: 'dispatch' },
        headers: { 'idempotency-key': 'triage-1' },
      });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json<{ message: string }>().message).toContain('Idempotency-Key');
      // Reading it waits for a worker just the same: bounded too.
      const read = await as(impatient, 'center')({ method: 'GET', url: `/v1/appeals/${appealId}` });
      expect(read.statusCode, read.body).toBe(503);
      expect(read.headers['retry-after']).toBe('5');
    } finally {
      await impatient.close();
      await handle.terminate('test over');
    }
  });

  it('answers 503 when the workflow task is failing (retried), instead of a 500', async () => {
    // A case whose first workflow task throws (no work order to start from): the worker fails
    // the task and Temporal retries it, refusing Updates meanwhile.
    const appealId = uniqueId('failing-task');
    const handle = await world.env.client.workflow.start('appealWorkflow', {
      taskQueue: world.taskQueue,
      workflowId: appealWorkflowId(appealId),
      args: [],
    });
    try {
      await until(
        async () => (await handle.describe()).raw.pendingWorkflowTask?.attempt ?? 0,
        (attempt) => attempt > 1,
      );
      // Temporal holds the Update about 20 s for the task to recover, then refuses it.
      const res = await as(
        app,
        'center',
      )({
        method: 'POST',
        url: `/v1/appeals/${appealId}/triage`,
        payload: { disposition: 'dispatch' },
        headers: { 'idempotency-key': 'triage-failing' },
      });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json<{ message: string }>().message).toContain('workflow task failed or timed out');
    } finally {
      await handle.terminate('test over');
    }
  });

  it('reads an open case from its record, as its workflow last wrote it, with no worker running', async () => {
    // A worker of its own task queue drives the case, then stops (as when every worker is down).
    const taskQueue = `${TASK_QUEUE}-record-read`;
    const api = await world.buildApi({ TEMPORAL_TASK_QUEUE: taskQueue });
    // With no worker, an action waits this long for the workflow (a loaded machine may take longer
    // than that for an action a worker does run, hence the API above with the usual bound).
    const bounded = await world.buildApi({ WORKFLOW_TIMEOUT_MS: '1000', TEMPORAL_TASK_QUEUE: taskQueue });
    const worker = await createWorker({
      connection: world.env.nativeConnection,
      taskQueue,
      db: database.db,
      log: testLogger,
      workflowBundle: workflowBundle(),
    });
    const running = worker.run();
    try {
      const start = await as(api, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
      expect(start.statusCode, start.body).toBe(201);
      // The start answers once the case is in the record, with its number; the workflow's intake
      // adds the center's triage hints to it.
      const started = start.json<{ case: { appealId: string; workOrderNo?: string } }>().case;
      const id = started.appealId;
      const center = async () =>
        (await as(api, 'center')({ method: 'GET', url: `/v1/appeals/${id}` })).json<Record<string, unknown>>();
      const afterStart = await until(center, (c) => c.triageHints !== undefined);
      expect(afterStart).toMatchObject({ stage: 'triage', source: 'record', workOrderNo: started.workOrderNo });
      const hints = afterStart.triageHints as { duplicates: unknown; knowledge: unknown };
      expect([Array.isArray(hints.duplicates), Array.isArray(hints.knowledge)]).toEqual([true, true]);
      const triaged = await dispatchAsCenter(api, id);
      expect(triaged.statusCode, triaged.body).toBe(200);
      const queried = await world.env.client.workflow.getHandle(appealWorkflowId(id)).query(caseQuery);

      worker.shutdown();
      await running;
      // Read at once after the action, and without any worker: the same case the workflow answers.
      const read = await as(api, 'water')({ method: 'GET', url: `/v1/appeals/${id}` });
      expect(read.statusCode, read.body).toBe(200);
      // (The center's triage hints are the center's: the unit reads the rest.)
      const { triageHints, ...seenByUnit } = queried;
      expect(read.json()).toMatchObject({ ...seenByUnit, source: 'record', leadUnitId: 'beijing-water' });
      expect(read.json<{ triageHints?: unknown }>().triageHints).toBeUndefined();
      // An action still needs the workflow: bounded, then 503.
      const accept = await as(bounded, 'water')({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {} });
      expect(accept.statusCode, accept.body).toBe(503);
      await world.env.client.workflow.getHandle(appealWorkflowId(id)).terminate('test over');
    } finally {
      if (worker.getState() === 'RUNNING') {
        worker.shutdown();
        await running;
      }
      await Promise.all([api.close(), bounded.close()]);
    }
  });

  it('records a start while no worker runs, where the workflow intake finds it when a worker comes', async () => {
    const taskQueue = `${TASK_QUEUE}-late-worker`;
    const api = await world.buildApi({ TEMPORAL_TASK_QUEUE: taskQueue });
    let worker: Awaited<ReturnType<typeof createWorker>> | undefined;
    let running: Promise<void> | undefined;
    try {
      const start = await as(api, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
      expect(start.statusCode, start.body).toBe(201);
      const started = start.json<{ created: boolean; case: Record<string, unknown> & { appealId: string } }>();
      expect(started.created).toBe(true);
      expect(started.case).toMatchObject({ stage: 'triage', nextActor: 'center', overdue: false, source: 'record' });
      expect(started.case.workOrderNo).toMatch(/^\d{8}-\d{6}$/);
      expect(started.case.triageHints).toBeUndefined();
      const id = started.case.appealId;
      const read = async () =>
        (await as(api, 'center')({ method: 'GET', url: `/v1/appeals/${id}` })).json<Record<string, unknown>>();
      expect(await read()).toMatchObject({ stage: 'triage', workOrderNo: started.case.workOrderNo, source: 'record' });

      worker = await createWorker({
        connection: world.env.nativeConnection,
        taskQueue,
        db: database.db,
        log: testLogger,
        workflowBundle: workflowBundle(),
      });
      running = worker.run();
      const recorded = await until(read, (c) => c.triageHints !== undefined);
      // The workflow took the record's number; the intake is in the audit trail once.
      expect(recorded).toMatchObject({ stage: 'triage', workOrderNo: started.case.workOrderNo });
      const queried = await world.env.client.workflow.getHandle(appealWorkflowId(id)).query(caseQuery);
      expect(queried.workOrderNo).toBe(started.case.workOrderNo);
      const trail = await listAuditEvents(database.db, id);
      expect(trail.filter((e) => e.type === 'intake').map((e) => e.seq)).toEqual([1]);
      await world.env.client.workflow.getHandle(appealWorkflowId(id)).terminate('test over');
    } finally {
      worker?.shutdown();
      await running;
      await api.close();
    }
  });

  it('keeps every role inside its boundary', async () => {
    const id = await startWaterCase();
    // Unit keys cannot start; supervisors read but never act; intake only starts and withdraws.
    expect((await as(app, 'water')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() })).statusCode).toBe(
      403,
    );
    expect(
      (await as(app, 'supervisor')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() })).statusCode,
    ).toBe(403);
    expect((await as(app, 'supervisor')({ method: 'GET', url: `/v1/appeals/${id}` })).statusCode).toBe(200);
    expect(
      (
        await as(
          app,
          'supervisor',
        )({ method: 'POST', url: `/v1/appeals/${id}/triage`, payload: { disposition: 'dispatch' } })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await as(
          app,
          'intake',
        )({ method: 'POST', url: `/v1/appeals/${id}/triage`, payload: { disposition: 'dispatch' } })
      ).statusCode,
    ).toBe(403);

    // Before dispatch no unit is involved: a unit sees nothing (404, not 403).
    expect((await as(app, 'water')({ method: 'GET', url: `/v1/appeals/${id}` })).statusCode).toBe(404);
    const triaged = await as(
      app,
      'admin',
    )({ method: 'POST', url: `/v1/appeals/${id}/triage`, payload: { disposition: 'dispatch' } });
    expect(triaged.statusCode, triaged.body).toBe(200);
    expect((await as(app, 'water')({ method: 'GET', url: `/v1/appeals/${id}` })).statusCode).toBe(200);
    // Another unit neither reads nor acts on it, and cannot tell that it exists.
    expect((await as(app, 'jianwai')({ method: 'GET', url: `/v1/appeals/${id}` })).statusCode).toBe(404);
    expect(
      (await as(app, 'jianwai')({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {} })).statusCode,
    ).toBe(404);
    expect(
      (
        await as(
          app,
          'coordinator',
        )({ method: 'POST', url: `/v1/appeals/${id}/coordination-opinion`, payload: { opinion: 'x' } })
      ).statusCode,
    ).toBe(404);
    const list = await as(app, 'jianwai')({ method: 'GET', url: `/v1/appeals?unitId=beijing-water` });
    expect(list.json<Page>().items).toEqual([]);
    expect((await as(app, 'jianwai')({ method: 'GET', url: '/v1/units/beijing-water/inbox' })).statusCode).toBe(403);
    // A unit the directory does not know has no inbox: 404, as for its rates.
    const unknown = await as(app, 'supervisor')({ method: 'GET', url: '/v1/units/no-such-unit/inbox' });
    expect(unknown.statusCode, unknown.body).toBe(404);
    expect(unknown.json<{ message: string }>().message).toBe('unit not found');
    // The center cannot accept for a unit (role gate); the unit can.
    expect((await as(app, 'center')({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {} })).statusCode).toBe(
      403,
    );

    // The lead unit asks the district government to coordinate: from then on that coordinator reads and answers it.
    expect((await as(app, 'water')({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {} })).statusCode).toBe(
      200,
    );
    const asked = await as(
      app,
      'water',
    )({
      method: 'POST',
      url: `/v1/appeals/${id}/coordination-request`,
      payload: { coordinatorId: 'chaoyang-gov', reason: '需区政府协调' },
    });
    expect(asked.statusCode, asked.body).toBe(200);
    expect((await as(app, 'coordinator')({ method: 'GET', url: `/v1/appeals/${id}` })).statusCode).toBe(200);
    // The coordinator finds it in its inbox and its list.
    const coordinatorInbox = await as(app, 'coordinator')({ method: 'GET', url: '/v1/units/chaoyang-gov/inbox' });
    expect(coordinatorInbox.json<Page>().items.find((i) => i.appealId === id)?.involvedUnitIds).toEqual([
      'beijing-water',
      'chaoyang-gov',
    ]);
    const coordinatorList = await as(app, 'coordinator')({ method: 'GET', url: '/v1/appeals?stage=handling' });
    expect(coordinatorList.json<Page>().items.map((i) => i.appealId)).toContain(id);
    // A unit key cannot speak as the coordinator, and the coordinator cannot report the lead's result.
    expect(
      (
        await as(
          app,
          'water',
        )({ method: 'POST', url: `/v1/appeals/${id}/coordination-opinion`, payload: { opinion: 'x' } })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await as(
          app,
          'coordinator',
        )({ method: 'POST', url: `/v1/appeals/${id}/result`, payload: { outcome: 'resolved', summary: 'x' } })
      ).statusCode,
    ).toBe(403);
    const opinion = await as(
      app,
      'coordinator',
    )({ method: 'POST', url: `/v1/appeals/${id}/coordination-opinion`, payload: { opinion: '由供水集团限期修复' } });
    expect(opinion.statusCode, opinion.body).toBe(200);
    expect(opinion.json<{ coordination: { status: string } }>().coordination.status).toBe('answered');

    const withdrawn = await as(
      app,
      'intake',
    )({ method: 'POST', url: `/v1/appeals/${id}/withdraw`, payload: { reason: '市民撤回' } });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect(
      (await as(app, 'center')({ method: 'POST', url: `/v1/appeals/${id}/withdraw`, payload: { reason: 'x' } }))
        .statusCode,
    ).toBe(403);
  });

  it('lets the district government supervising a street case read it, while another district cannot', async () => {
    const start = await as(
      app,
      'intake',
    )({
      method: 'POST',
      url: '/v1/appeals',
      payload: {
        ...waterOutage(),
        categoryCode: 'urban.road_damage',
        content: '路面塌陷',
        streetId: 'chaoyang-jianwai',
      },
    });
    expect(start.statusCode, start.body).toBe(201);
    const id = start.json<Started>().case.appealId;
    const triaged = await as(
      app,
      'center',
    )({ method: 'POST', url: `/v1/appeals/${id}/triage`, payload: { disposition: 'dispatch' } });
    expect(triaged.json()).toMatchObject({
      leadUnitId: 'chaoyang-jianwai',
      supervisingUnitIds: ['chaoyang-gov'],
      involvedUnitIds: ['chaoyang-jianwai', 'chaoyang-gov'],
    });
    expect((await as(app, 'coordinator')({ method: 'GET', url: `/v1/appeals/${id}` })).statusCode).toBe(200);
    expect((await as(app, 'water')({ method: 'GET', url: `/v1/appeals/${id}` })).statusCode).toBe(404);
    // The street's inbox puts it first: it waits on the street to accept.
    const inbox = await as(app, 'jianwai')({ method: 'GET', url: '/v1/units/chaoyang-jianwai/inbox' });
    expect(inbox.json<Page>().items[0]).toMatchObject({ appealId: id, nextActor: 'unit:chaoyang-jianwai' });
  });

  it('pages through the list with a cursor', async () => {
    await Promise.all([startWaterCase(), startWaterCase(), startWaterCase()]);
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await as(
        app,
        'center',
      )({ method: 'GET', url: `/v1/appeals?limit=2${cursor ? `&cursor=${cursor}` : ''}` });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<Page>();
      for (const item of page.items) seen.add(item.appealId);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    const all = await as(app, 'center')({ method: 'GET', url: '/v1/appeals?limit=200' });
    expect(seen.size).toBe(all.json<Page>().items.length);
    expect(pages).toBeGreaterThan(1);
    expect((await as(app, 'center')({ method: 'GET', url: '/v1/appeals?cursor=garbage' })).statusCode).toBe(400);
  });

  it('a case of no known place dispatched by hand to a district government lies in its district from then on', async () => {
    const { districtId: _placed, ...noPlace } = waterOutage();
    const start = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: noPlace });
    expect(start.statusCode, start.body).toBe(201);
    const id = start.json<Started>().case.appealId;
    const triaged = await as(
      app,
      'center',
    )({
      method: 'POST',
      url: `/v1/appeals/${id}/triage`,
      payload: { disposition: 'dispatch', unitId: 'haidian-gov' },
    });
    expect(triaged.statusCode, triaged.body).toBe(200);
    expect(triaged.json()).toMatchObject({ leadUnitId: 'haidian-gov', districtId: 'haidian' });
    // The record and the search attribute say so too: lists by district and the Temporal UI find it.
    const listed = await as(app, 'center')({ method: 'GET', url: '/v1/appeals?districtId=haidian&limit=200' });
    expect(listed.json<Page>().items.map((i) => i.appealId)).toContain(id);
    const description = await world.env.client.workflow.getHandle(appealWorkflowId(id)).describe();
    expect(description.searchAttributes.District).toEqual(['haidian']);
  });

  it("pages through a unit's inbox in its order: what the unit owes first, then by deadline", async () => {
    // Cases waiting on the unit (dispatched) and cases in triage, which it is not part of yet.
    const dispatched = await Promise.all([startWaterCase(), startWaterCase(), startWaterCase()]);
    for (const id of dispatched) expect((await dispatchAsCenter(app, id)).statusCode).toBe(200);
    const inbox = (query: string) => as(app, 'water')({ method: 'GET', url: `/v1/units/beijing-water/inbox?${query}` });
    const whole = (await inbox('limit=500')).json<Page>();
    expect(whole.nextCursor).toBeNull();
    expect(whole.items.map((i) => i.appealId)).toEqual(expect.arrayContaining(dispatched));
    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await inbox(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<Page>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items.map((i) => i.appealId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 200);
    // Every case once, in the order of the whole inbox.
    expect(paged).toEqual(whole.items.map((i) => i.appealId));
    expect(pages).toBeGreaterThan(1);
    const owed = whole.items.map((i) => i.pendingActors.includes('unit:beijing-water'));
    expect(owed.indexOf(false) === -1 || owed.lastIndexOf(true) < owed.indexOf(false)).toBe(true);
    const refused = await inbox('cursor=garbage');
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ message: string }>().message).toContain('querystring/cursor');
  });

  it('logs one line per request with the request and appeal ids, requester data masked', async () => {
    const lines: Record<string, unknown>[] = [];
    const logStream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
    const logged = await world.buildApi({ LOG_LEVEL: 'info' }, { logStream });
    try {
      const start = await as(
        logged,
        'intake',
      )({ method: 'POST', url: '/v1/appeals', payload: waterOutage(), headers: { 'x-request-id': 'req-start-1' } });
      expect(start.statusCode, start.body).toBe(201);
      expect(start.headers['x-request-id']).toBe('req-start-1');
      const id = start.json<Started>().case.appealId;
      const bad = await as(
        logged,
        'intake',
      )({
        method: 'POST',
        url: '/v1/appeals',
        payload: { ...waterOutage(), requester: { name: '李四', phone: 'not a phone 13811112222' } },
      });
      expect(bad.statusCode).toBe(400);
      await as(logged, 'center')({ method: 'GET', url: `/v1/appeals/${id}` });
    } finally {
      await logged.close();
    }
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(3);
    expect(requests[0]).toMatchObject({
      requestId: 'req-start-1',
      statusCode: 201,
      url: '/v1/appeals',
      caller: 'intake',
    });
    expect(requests[0]!.appealId).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    expect(requests[2]).toMatchObject({ appealId: requests[0]!.appealId, statusCode: 200, url: '/v1/appeals/:id' });
    // A request that names no id gets one unique across processes and restarts.
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(requests[1]!.requestId).toMatch(uuid);
    expect(requests[2]!.requestId).toMatch(uuid);
    expect(requests[2]!.requestId).not.toBe(requests[1]!.requestId);
    const all = lines.map((l) => JSON.stringify(l)).join('\n');
    for (const secret of ['张三', '13900000000', '李四', '13811112222']) expect(all).not.toContain(secret);
  });
});
