/**
 * Hostile input: what PostgreSQL cannot store (U+0000, a lone UTF-16 surrogate) is refused at
 * the door with a 400 naming the field, wherever it comes from, and nothing is started or
 * recorded; odd filters and cursors are a 400, never a 500. And an intake PostgreSQL refuses
 * anyway fails its activity at once (non-retryable `RecordRejected`) and the appeal's workflow
 * with it, visibly, instead of retrying for ever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { eq, like } from 'drizzle-orm';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, until, waterOutage, type ApiWorld } from './support/api.js';
import { testLogger } from './support/logger.js';
import { appeals, idempotencyKeys } from '../db/schema/index.js';
import { createActivities } from '../activities/index.js';
import type { appealWorkflow } from '../workflows/index.js';
import { ErrorType } from '../domain/errors.js';
import { appealWorkflowId, TASK_QUEUE, type WorkOrder } from '../workflows/appeal/definitions.js';

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-api-hostile`);
  app = world.app;
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

let seq = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now()}-${++seq}`;

const NUL = '含空字符\u0000的内容';
const LONE_HIGH = '孤立\ud800代理';
const LONE_LOW = '\udc00在前';

/** A 400 that names `field` in its message and its `field`, in the API's error body. */
function expectRefused(res: LightMyRequestResponse, field: string): void {
  expect(res.statusCode, res.body).toBe(400);
  const body = res.json<Record<string, unknown>>();
  expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request', field, code: 'VALIDATION' });
  expect(Object.keys(body).sort()).toEqual(['code', 'error', 'field', 'message', 'statusCode']);
  expect(body.message).toMatch(
    new RegExp(`^${field}: (a property name )?must not contain (U\\+0000|a lone UTF-16 surrogate)`),
  );
}

/** Posts a start as raw JSON, so `\u0000` and `\ud800` arrive as JSON escapes. */
const postStart = (payload: object, headers: Record<string, string> = {}) =>
  as(
    app,
    'intake',
  )({
    method: 'POST',
    url: '/v1/appeals',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(payload),
  });

/** Nothing of a refused start exists: no workflow, no case record, no idempotency key. */
async function expectNothingStarted(externalId: string): Promise<void> {
  await expect(world.env.client.workflow.getHandle(appealWorkflowId(externalId)).describe()).rejects.toBeInstanceOf(
    WorkflowNotFoundError,
  );
  expect(await database.db.select().from(appeals).where(eq(appeals.id, externalId))).toEqual([]);
  expect(
    await database.db
      .select()
      .from(idempotencyKeys)
      .where(like(idempotencyKeys.key, `%${externalId}%`)),
  ).toEqual([]);
}

describe('strings PostgreSQL cannot store are refused with the field named', () => {
  it('in the body: top level, nested and in arrays, NUL and lone surrogates alike', async () => {
    for (const [content, why] of [
      [NUL, 'NUL'],
      [LONE_HIGH, 'lone high surrogate'],
      [LONE_LOW, 'lone low surrogate'],
    ] as const) {
      const externalId = uniqueId('hostile-content');
      const res = await postStart({ ...waterOutage(externalId), content });
      expectRefused(res, 'body/content');
      expect(res.json<{ message: string }>().message, why).toContain(
        why === 'NUL' ? 'U+0000' : 'lone UTF-16 surrogate',
      );
      await expectNothingStarted(externalId);
    }

    const nested = uniqueId('hostile-name');
    expectRefused(
      await postStart({ ...waterOutage(nested), requester: { name: '张\ud83d', phone: '13900000000' } }),
      'body/requester/name',
    );
    await expectNothingStarted(nested);

    // An array item, on an action route (refused before the role, the appeal or the workflow is looked at).
    const whistle = await as(
      app,
      'water',
    )({
      method: 'POST',
      url: '/v1/appeals/no-such-appeal/whistle',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ departmentIds: ['chaoyang-urban-enforcement', 'a\u0000b'], reason: '占道经营' }),
    });
    expectRefused(whistle, 'body/departmentIds/1');

    // A property name counts too: it names the object it is in.
    const key = await postStart({ ...waterOutage(), requester: { ['na\u0000me']: '张三' } });
    expectRefused(key, 'body/requester');
  });

  it('in the query string, the path and the headers the API keeps', async () => {
    expectRefused(
      await as(app, 'center')({ method: 'GET', url: '/v1/appeals?categoryCode=%00' }),
      'querystring/categoryCode',
    );
    expectRefused(
      await as(app, 'center')({ method: 'GET', url: '/v1/appeals?districtId=chaoyang&streetId=a%00' }),
      'querystring/streetId',
    );
    expectRefused(await as(app, 'center')({ method: 'GET', url: '/v1/appeals/a%00b' }), 'params/id');
    expectRefused(await as(app, 'water')({ method: 'GET', url: '/v1/units/a%00b/inbox' }), 'params/unitId');

    const externalId = uniqueId('hostile-key');
    expectRefused(
      await postStart(waterOutage(externalId), { 'idempotency-key': 'key\u0000one' }),
      'headers/idempotency-key',
    );
    await expectNothingStarted(externalId);
    expectRefused(
      await as(app, 'center')({ method: 'GET', url: '/v1/appeals', headers: { 'x-request-id': 'req\u0000id' } }),
      'headers/x-request-id',
    );
    // A request id is echoed, logged and kept in the read audit: one longer than any kept is refused, not echoed.
    const long = await as(
      app,
      'center',
    )({ method: 'GET', url: '/v1/appeals', headers: { 'x-request-id': 'q'.repeat(8000) } });
    expect(long.statusCode).toBe(400);
    expect(long.json()).toMatchObject({ field: 'headers/x-request-id' });
    expect(long.headers['x-request-id']).toBeUndefined();
    const kept = await as(
      app,
      'center',
    )({ method: 'GET', url: '/v1/appeals', headers: { 'x-request-id': 'q'.repeat(200) } });
    expect(kept.statusCode).toBe(200);
    expect(kept.headers['x-request-id']).toBe('q'.repeat(200));
  });

  it('a valid Chinese and emoji string is stored and read back as sent', async () => {
    const externalId = uniqueId('hostile-emoji');
    const content = '小区停水两天 🚰😡，物业电话打不通 𠀀𪚥';
    const res = await postStart(
      { ...waterOutage(externalId), content, requester: { name: '张三👍', phone: '13900000000' } },
      { 'idempotency-key': `好-${externalId}` },
    );
    expect(res.statusCode, res.body).toBe(201);
    const read = await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${externalId}` });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toMatchObject({ workOrder: { content, requester: { name: '张三👍' } } });
    const [row] = await database.db.select().from(appeals).where(eq(appeals.id, externalId));
    expect(row?.content).toBe(content);
  });
});

describe('odd filters never reach PostgreSQL as a 500', () => {
  it('a cursor that decodes to garbage, an impossible instant, a deep body: 400', async () => {
    const center = as(app, 'center');
    const cursors = [
      'not-a-cursor',
      Buffer.from('2026-01-01T00:00:00.000Z|a\u0000b').toString('base64url'),
      Buffer.from('2026-01-01T00:00:00.000Z|').toString('base64url'),
      Buffer.from('+275760-09-13T00:00:00.000Z|x').toString('base64url'),
      Buffer.from('0000-01-01T00:00:00.000Z|x').toString('base64url'),
      Buffer.from('\u00ff\u00fe|\ud800').toString('base64url'),
    ];
    for (const cursor of cursors) {
      const res = await center({ method: 'GET', url: `/v1/appeals?cursor=${encodeURIComponent(cursor)}` });
      expect(res.statusCode, `${cursor}: ${res.body}`).toBe(400);
      expect(res.json()).toMatchObject({ field: 'querystring/cursor', code: 'VALIDATION' });
    }
    for (const at of ['2016-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00']) {
      const res = await center({ method: 'GET', url: `/v1/appeals?receivedFrom=${encodeURIComponent(at)}` });
      expect(res.statusCode, `${at}: ${res.body}`).toBe(400);
      expect(res.json()).toMatchObject({ field: 'querystring/receivedFrom' });
    }
    const leap = await postStart({ ...waterOutage(), receivedAt: '2016-12-31T23:59:60Z' });
    expect(leap.statusCode, leap.body).toBe(400);
    expect(leap.json()).toMatchObject({ field: 'body/receivedAt' });
    expect((await center({ method: 'GET', url: `/v1/appeals?categoryCode=${'x'.repeat(5000)}` })).statusCode).toBe(400);
    // Odd but storable strings are just filters that match nothing.
    const odd = await center({
      method: 'GET',
      url: `/v1/appeals?categoryCode=${encodeURIComponent("'; drop table appeals; --\\%_")}`,
    });
    expect(odd.statusCode, odd.body).toBe(200);
    expect(odd.json()).toMatchObject({ items: [] });
    // Deeply nested JSON: refused by the schema, not by the stack.
    const deep = `{"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const res = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', headers: { 'content-type': 'application/json' }, payload: deep });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
  });
});

const orderOf = (appealId: string, content: string): WorkOrder => ({
  appealId,
  channel: 'phone',
  appealType: 'help',
  categoryCode: 'utilities.water.outage',
  content,
  districtId: 'chaoyang',
  requester: { name: '张三', phone: '13900000000' },
  receivedAt: new Date().toISOString(),
});

describe('a write PostgreSQL refuses fails at once, visibly', () => {
  it('the activity: a data exception is a non-retryable RecordRejected; other errors stay retryable', async () => {
    const activities = createActivities({ db: database.db, log: testLogger });

    const refused = await activities.recordIntake(orderOf(uniqueId('nul-intake'), NUL)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: ErrorType.RecordRejected, nonRetryable: true });
    expect((refused as Error).message).toMatch(
      /^recordIntake: PostgreSQL refused the data \(22021: invalid byte sequence/,
    );
    // The requester's data never travels in the failure (drizzle's error lists the parameters).
    expect(JSON.stringify(refused)).not.toContain('13900000000');

    // A lone surrogate in a jsonb payload: PostgreSQL refuses it too (class 22).
    const appealId = uniqueId('surrogate-step');
    await activities.recordIntake(orderOf(appealId, '正常内容'));
    const step = await activities
      .recordStep({
        appealId,
        stepKey: 'x1',
        type: 'note',
        actor: 'center',
        payload: { note: LONE_HIGH },
        at: new Date().toISOString(),
      })
      .catch((e: unknown) => e);
    expect(step).toMatchObject({ type: ErrorType.RecordRejected, nonRetryable: true });
    expect((step as Error).message).toMatch(/^recordStep: PostgreSQL refused the data \(22/);

    // Not a refusal of the data: left as it is, for the retry policy.
    const missing = await activities
      .recordStep({
        appealId: 'no-such-appeal',
        stepKey: '1',
        type: 'note',
        actor: 'center',
        at: new Date().toISOString(),
      })
      .catch((e: unknown) => e);
    expect(missing).not.toBeInstanceOf(ApplicationFailure);
    expect((missing as Error).message).toContain('has no case record');
  });

  it('a start whose intake cannot be recorded fails its workflow with the reason, and the API says why', async () => {
    const appealId = uniqueId('unrecordable');
    const workflowId = appealWorkflowId(appealId);
    // Around the API's check: the workflow started directly with a NUL in the content.
    const handle = await world.env.client.workflow.start<typeof appealWorkflow>('appealWorkflow', {
      taskQueue: world.taskQueue,
      workflowId,
      args: [orderOf(appealId, NUL)],
    });
    const began = Date.now();
    const failure: unknown = await handle.result().catch((e: unknown) => e);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    // The case's records are local activities: the refusal is the workflow failure's cause.
    const refusal = (failure as WorkflowFailedError).cause;
    expect(refusal).toBeInstanceOf(ApplicationFailure);
    expect(refusal).toMatchObject({ type: ErrorType.RecordRejected, nonRetryable: true });
    expect((refusal as Error).message).toMatch(/^recordIntakeWithHints: PostgreSQL refused the data \(22021/);

    // One attempt, not a retry loop; the execution is Failed, where a supervisor's filter finds it.
    expect((await handle.describe()).status.name).toBe('FAILED');
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).flatMap((e) => {
      const marker = e.markerRecordedEventAttributes;
      if (marker?.markerName !== 'core_local_activity') return [];
      const data = marker.details?.data?.payloads?.[0]?.data;
      return data ? [JSON.parse(Buffer.from(data).toString()) as { activity_type: string; attempt: number }] : [];
    });
    expect(attempts.map((a) => [a.activity_type, a.attempt])).toEqual([['recordIntakeWithHints', 1]]);
    const failedIds = await until(
      async () => {
        const ids: string[] = [];
        for await (const w of world.env.client.workflow.list({
          query: `WorkflowId = "${workflowId}" AND ExecutionStatus = "Failed"`,
        }))
          ids.push(w.workflowId);
        return ids;
      },
      (ids) => ids.length > 0,
    );
    expect(failedIds).toEqual([workflowId]);
    expect(await database.db.select().from(appeals).where(eq(appeals.id, appealId))).toEqual([]);

    // Read through the API: no case, and why.
    const read = await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${appealId}` });
    expect(read.statusCode, read.body).toBe(404);
    expect(read.json()).toMatchObject({ code: ErrorType.RecordRejected });
    expect(read.json<{ message: string }>().message).toMatch(/FAILED.*PostgreSQL refused the data \(22021/);

    // A start with the same id (here its externalId) meets the failed workflow: a 422 at once, not a 201 or a wait.
    const startedAt = Date.now();
    const start = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage(appealId) });
    expect(Date.now() - startedAt).toBeLessThan(4_000);
    expect(start.statusCode, start.body).toBe(422);
    expect(start.json()).toMatchObject({ statusCode: 422, code: ErrorType.RecordRejected });
    expect(start.json<{ message: string }>().message).toContain('PostgreSQL refused the data (22021');
    expect(
      await database.db
        .select()
        .from(idempotencyKeys)
        .where(eq(idempotencyKeys.key, `external:${appealId}`)),
    ).toHaveLength(1);
  });
});

describe('the edges of the routes', () => {
  it('an undeclared method on a known path is a 405 with Allow; an unknown path stays a 404', async () => {
    const trace = await as(app, 'center')({ method: 'TRACE', url: '/v1/appeals' });
    expect(trace.statusCode).toBe(405);
    expect(trace.headers.allow).toContain('POST');
    expect(trace.json()).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
    const put = await as(app, 'center')({ method: 'PUT', url: '/v1/appeals/x-1/accept' });
    expect(put.statusCode).toBe(405);
    expect(put.headers.allow).toBe('POST');
    expect((await as(app, 'center')({ method: 'GET', url: '/v1/nothing-here' })).statusCode).toBe(404);
  });

  it('an over-long id is a 400 naming the parameter, not a missing route', async () => {
    const res = await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${'0'.repeat(101)}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: 'params/id' });
    // Past what the router matches at all: 414, the path not echoed whole, never a 405 for a method the route has.
    const huge = await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${'a'.repeat(3000)}` });
    expect(huge.statusCode, huge.body).toBe(414);
    expect(huge.json<{ message: string }>().message).toMatch(/at most 2048 characters$/);
    expect(huge.body.length).toBeLessThan(600);
  });

  it('a parameter a route does not take is a 400 naming it, the overview included', async () => {
    const res = await as(app, 'supervisor')({ method: 'GET', url: '/v1/overview/overdue?district=chaoyang' });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ field: 'querystring/district' });
    expect((await as(app, 'supervisor')({ method: 'GET', url: '/v1/overview/overdue' })).statusCode).toBe(200);
  });

  it('an action with nothing required may come without a body', async () => {
    const res = await as(app, 'water')({ method: 'POST', url: '/v1/appeals/no-such-appeal/accept' });
    expect(res.statusCode, res.body).toBe(404);
    // A JSON null is a body, and not an object: refused before anything is looked up.
    const nullBody = await as(
      app,
      'water',
    )({
      method: 'POST',
      url: '/v1/appeals/no-such-appeal/accept',
      headers: { 'content-type': 'application/json' },
      payload: 'null',
    });
    expect(nullBody.statusCode, nullBody.body).toBe(400);
    expect(nullBody.json<{ message: string }>().message).toBe('body: must be object');
  });
});
