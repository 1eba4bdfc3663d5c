/**
 * Who read what, over HTTP against the real servers: a case read in clear leaves `contact` and
 * `content`, a masked read only `content`, a list one row per item; supervisors page through the
 * trail, other roles are refused; PostgreSQL refuses to change or remove a row; and a read whose
 * row cannot be written is not answered.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { appeals } from '../db/schema/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, dispatchAsCenter, startApiWorld, waterOutage, type ApiWorld } from './support/api.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { postgresError } from '../db/queries/errors.js';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { newPayloadKey } from '../platform/payloadCodec.js';
import { buildServer } from '../api/buildServer.js';
import { loadApiConfig } from '../api/config.js';

let database: TestDatabase;
let world: ApiWorld;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-read-audit`);
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

interface Entry {
  id: number;
  at: string;
  keyName: string;
  role: string;
  unitId: string | null;
  appealId: string | null;
  fields: string[];
  route: string;
  requestId: string | null;
  workflowId: string | null;
}
/** A work order as the workflow's input carries it. */
const order3 = () => ({
  appealId: 'codec-read-3',
  content: '占道经营',
  requester: { name: '王五', phone: '13800000003' },
});

interface Page {
  items: Entry[];
  nextBefore: number | null;
}

const readAudit = async (query: string) => {
  const res = await as(world.app, 'supervisor')({ method: 'GET', url: `/v1/read-audit${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Page>();
};

describe('the read audit', () => {
  let appealId: string;
  let workOrderNo: string;

  beforeAll(async () => {
    const start = await as(world.app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
    expect(start.statusCode, start.body).toBe(201);
    ({ appealId, workOrderNo } = start.json<{ case: { appealId: string; workOrderNo: string } }>().case);
  });

  it('logs a read in clear as contact and content, a masked read as content only', async () => {
    const center = await as(
      world.app,
      'center',
    )({
      method: 'GET',
      url: `/v1/appeals/${appealId}`,
      headers: { 'x-request-id': 'read-audit-center' },
    });
    expect(center.statusCode, center.body).toBe(200);
    expect(center.json()).toMatchObject({ workOrder: { requester: { name: '张三', phone: '13900000000' } } });
    const supervisor = await as(
      world.app,
      'supervisor',
    )({
      method: 'GET',
      url: `/v1/appeals/${appealId}`,
      headers: { 'x-request-id': 'read-audit-supervisor' },
    });
    expect(supervisor.json()).toMatchObject({ workOrder: { requester: { name: '张*', phone: '139****0000' } } });

    const { items } = await readAudit(`?appealId=${appealId}`);
    // Newest first: the supervisor's read, the center's, then intake's own answer to its start (masked).
    expect(items.map((e) => [e.keyName, e.role, e.fields, e.route, e.requestId])).toEqual([
      ['supervisor', 'supervisor', ['content'], 'GET /v1/appeals/:id', 'read-audit-supervisor'],
      ['center', 'center', ['contact', 'content'], 'GET /v1/appeals/:id', 'read-audit-center'],
      ['intake', 'intake', ['content'], 'POST /v1/appeals', expect.any(String)],
    ]);
    expect(items.every((e) => e.appealId === appealId && e.unitId === null)).toBe(true);
    expect(Date.parse(items[0]!.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('filters by the work order number the appeal is known by as by its id', async () => {
    expect(workOrderNo).toMatch(/^\d{8}-\d{6}$/);
    const byId = await readAudit(`?appealId=${appealId}`);
    expect(byId.items.length).toBeGreaterThan(0);
    expect(await readAudit(`?appealId=${workOrderNo}`)).toEqual(byId);
    // A number no appeal has was read by no one.
    expect(await readAudit('?appealId=19990101-000001')).toEqual({ items: [], nextBefore: null });
  });

  it("logs the lead unit's read in clear and an action's answer, with the key's unit", async () => {
    const triaged = await dispatchAsCenter(world.app, appealId);
    expect(triaged.statusCode, triaged.body).toBe(200);
    const read = await as(world.app, 'water')({ method: 'GET', url: `/v1/appeals/${appealId}` });
    expect(read.statusCode, read.body).toBe(200);

    const { items } = await readAudit(`?appealId=${appealId}&limit=2`);
    expect(items.map((e) => [e.keyName, e.unitId, e.fields, e.route])).toEqual([
      ['water', 'beijing-water', ['contact', 'content'], 'GET /v1/appeals/:id'],
      ['center', null, ['contact', 'content'], 'POST /v1/appeals/:id/triage'],
    ]);
  });

  it('logs a list and an inbox as one row per item shown, in one answer', async () => {
    const second = await as(world.app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
    const secondId = second.json<{ case: { appealId: string } }>().case.appealId;
    const list = await as(
      world.app,
      'center',
    )({
      method: 'GET',
      url: '/v1/appeals?limit=2',
      headers: { 'x-request-id': 'read-audit-list' },
    });
    expect(list.statusCode, list.body).toBe(200);
    const listed = list.json<{ items: { appealId: string }[] }>().items.map((i) => i.appealId);
    expect(listed.sort()).toEqual([appealId, secondId].sort());

    const rows = (await readAudit('?keyName=center&limit=10')).items.filter((e) => e.requestId === 'read-audit-list');
    expect(rows.map((e) => e.appealId).sort()).toEqual(listed);
    expect(rows.every((e) => e.route === 'GET /v1/appeals' && e.fields.join() === 'content')).toBe(true);

    const inbox = await as(world.app, 'water')({ method: 'GET', url: '/v1/units/beijing-water/inbox' });
    expect(inbox.json<{ items: { appealId: string }[] }>().items.map((i) => i.appealId)).toEqual([appealId]);
    const [latest] = (await readAudit('?keyName=water&limit=1')).items;
    expect(latest).toMatchObject({ appealId, fields: ['content'], route: 'GET /v1/units/:unitId/inbox' });
  });

  it("logs the hot spots' recurring addresses as reads of their appeals' content", async () => {
    const receivedAt = new Date('2026-03-10T04:00:00Z');
    const ids = ['hot-1', 'hot-2', 'hot-3'];
    await database.db.insert(appeals).values(
      ids.map((id) => ({
        id,
        workflowId: `appeal-${id}`,
        channel: 'phone',
        appealType: 'complaint',
        categoryCode: 'environment.noise',
        districtId: 'chaoyang',
        streetId: 'chaoyang-sanlitun',
        address: '工人体育场北路8号院',
        content: '深夜噪音',
        stage: 'triage',
        receivedAt,
      })),
    );
    const spots = await as(world.app, 'supervisor')({ method: 'GET', url: '/v1/hot-spots/2026-03' });
    expect(spots.statusCode, spots.body).toBe(200);
    expect(spots.json()).toMatchObject({ recurringAddresses: [{ address: '工人体育场北路8号院', appealIds: ids }] });
    const [latest] = (await readAudit('?keyName=supervisor&limit=3')).items.filter((e) => e.appealId === 'hot-1');
    expect(latest).toMatchObject({ fields: ['content'], route: 'GET /v1/hot-spots/:month' });
    for (const id of ids) expect((await readAudit(`?appealId=${id}`)).items).toHaveLength(1);
  });

  it('pages newest first by id and filters by time', async () => {
    const all = await readAudit(`?appealId=${appealId}`);
    expect(all.nextBefore).toBeNull();
    const first = await readAudit(`?appealId=${appealId}&limit=2`);
    expect(first.items.map((e) => e.id)).toEqual(all.items.slice(0, 2).map((e) => e.id));
    const next = await readAudit(`?appealId=${appealId}&limit=2&before=${first.nextBefore}`);
    expect(next.items.map((e) => e.id)).toEqual(all.items.slice(2, 4).map((e) => e.id));
    expect(all.items.map((e) => e.id)).toEqual([...all.items.map((e) => e.id)].sort((a, b) => b - a));

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await readAudit(`?appealId=${appealId}&from=${encodeURIComponent(future)}`)).items).toEqual([]);
    const to = encodeURIComponent(new Date(Date.parse(all.items.at(-1)!.at) + 1).toISOString());
    expect((await readAudit(`?appealId=${appealId}&to=${to}`)).items.at(-1)).toEqual(all.items.at(-1));
  });

  it('is for supervisors and admin: 403 for a unit, the center and intake; 400 naming a bad filter', async () => {
    expect((await as(world.app, 'admin')({ method: 'GET', url: '/v1/read-audit' })).statusCode).toBe(200);
    for (const caller of ['water', 'center', 'intake', 'coordinator'] as const) {
      const res = await as(world.app, caller)({ method: 'GET', url: '/v1/read-audit' });
      expect(res.statusCode, caller).toBe(403);
    }
    expect((await as(world.app, undefined)({ method: 'GET', url: '/v1/read-audit' })).statusCode).toBe(401);
    // A role that never reads the trail is told so, not what its filters lack.
    const unit = await as(world.app, 'water')({ method: 'GET', url: '/v1/read-audit?limit=0&whom=me' });
    expect(unit.statusCode, unit.body).toBe(403);
    expect(unit.json<{ message: string }>().message).toBe('role unit does not read the read audit');
    for (const [query, field] of [
      ['from=yesterday', 'querystring/from'],
      ['limit=0', 'querystring/limit'],
      ['before=abc', 'querystring/before'],
      ['before=100000000000000000000', 'querystring/before'],
      ['appealId=a%20b', 'querystring/appealId'],
      ['to=2026-01-01T00:00:00Z&from=2026-02-01T00:00:00Z', 'querystring/to'],
      ['whom=me', 'querystring/whom'],
    ]) {
      const res = await as(world.app, 'supervisor')({ method: 'GET', url: `/v1/read-audit?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toMatchObject({ field });
    }
  });

  it('cannot be changed or removed: PostgreSQL refuses UPDATE, DELETE and TRUNCATE', async () => {
    const count = async (where = 'true') =>
      (await database.pool.query<{ n: number }>(`select count(*)::int as n from read_audit where ${where}`)).rows[0]!.n;
    const before = await count();
    for (const statement of [
      sql`update read_audit set key_name = 'someone-else'`,
      sql`delete from read_audit`,
      sql`truncate read_audit`,
    ]) {
      const error = await database.db.execute(statement).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(postgresError(error)?.code).toBe('42501');
    }
    expect(await count()).toBe(before);
    expect(await count(`key_name = 'someone-else'`)).toBe(0);
  });

  describe('the codec server', () => {
    type JsonPayload = { metadata: Record<string, string>; data: string };
    const asJson = (p: Payload): JsonPayload => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? []).toString('base64'),
    });
    /** The values as the Temporal UI sends them to `/codec/decode`: encrypted by the app's own key. */
    const encrypted = async (app: FastifyInstance, values: unknown[], caller: 'supervisor' | undefined) => {
      const encoded = await as(
        app,
        caller,
      )({
        method: 'POST',
        url: '/codec/encode',
        payload: { payloads: values.map((v) => asJson(defaultPayloadConverter.toPayload(v))) },
      });
      expect(encoded.statusCode, encoded.body).toBe(200);
      return encoded.json<{ payloads: JsonPayload[] }>();
    };
    const byRequest = async (requestId: string) =>
      (await readAudit('?limit=50')).items.filter((e) => e.requestId === requestId);

    let codecApp: FastifyInstance;
    beforeAll(async () => {
      codecApp = await world.buildApi({ PAYLOAD_KEYS: `read-audit:${newPayloadKey()}` });
    });
    afterAll(async () => {
      await codecApp?.close();
    });

    it('logs the work orders it decodes for the Temporal UI', async () => {
      const order = {
        appealId: 'codec-read-1',
        content: '楼道堆物',
        requester: { name: '李四', phone: '13800000001' },
      };
      const decoded = await as(
        codecApp,
        'supervisor',
      )({ method: 'POST', url: '/codec/decode', payload: await encrypted(codecApp, [order], 'supervisor') });
      expect(decoded.statusCode, decoded.body).toBe(200);
      expect(decoded.body).toContain(Buffer.from(JSON.stringify(order)).toString('base64'));
      const { items } = await readAudit('?appealId=codec-read-1');
      expect(items.map((e) => [e.keyName, e.fields, e.route])).toEqual([
        ['supervisor', ['contact', 'content'], 'POST /codec/decode'],
      ]);
    });

    it('logs what names no appeal as a read of no appeal, with the execution the page shows', async () => {
      // An Update's argument, a bare text, a contact alone: none carries an appeal id.
      const values = [
        { by: { role: 'unit', unitId: 'beijing-water' }, outcome: 'resolved', summary: '已联系李四，管道已修复' },
        '请回电',
        { requester: { phone: '13800000002' } },
      ];
      const decoded = await as(
        codecApp,
        'supervisor',
      )({
        method: 'POST',
        url: '/codec/decode',
        headers: {
          'x-request-id': 'codec-no-appeal',
          'x-namespace': 'default',
          // A UI behind the same gateway as /codec: its page address comes along in full.
          referer: 'https://ops.example/namespaces/default/workflows/appeal-codec-2/0197-run/history',
        },
        payload: await encrypted(codecApp, values, 'supervisor'),
      });
      expect(decoded.statusCode, decoded.body).toBe(200);
      expect(await byRequest('codec-no-appeal')).toEqual([
        expect.objectContaining({
          keyName: 'supervisor',
          role: 'supervisor',
          appealId: null,
          fields: ['contact', 'content'],
          route: 'POST /codec/decode',
          workflowId: 'appeal-codec-2',
        }),
      ]);

      // A case names its appeal at its top: its texts are that appeal's; no page address, no execution.
      const caseRead = await as(
        codecApp,
        'supervisor',
      )({
        method: 'POST',
        url: '/codec/decode',
        headers: { 'x-request-id': 'codec-case', referer: 'http://127.0.0.1:8233/' },
        payload: await encrypted(
          codecApp,
          [{ appealId: 'codec-read-3', stage: 'closed', result: { summary: '已修复' } }],
          'supervisor',
        ),
      });
      expect(caseRead.statusCode, caseRead.body).toBe(200);
      expect(await byRequest('codec-case')).toEqual([
        expect.objectContaining({ appealId: 'codec-read-3', fields: ['content'], workflowId: null }),
      ]);
    });

    it('logs nothing for payloads that hold no contact and no text, or that were never encrypted', async () => {
      const quiet = await encrypted(codecApp, [{ stage: 'handling', overdue: false, count: 3 }, null], 'supervisor');
      const plain = [order3()].map((v) => asJson(defaultPayloadConverter.toPayload(v)));
      const decoded = await as(
        codecApp,
        'supervisor',
      )({
        method: 'POST',
        url: '/codec/decode',
        headers: { 'x-request-id': 'codec-quiet' },
        payload: { payloads: [...quiet.payloads, ...plain] },
      });
      expect(decoded.statusCode, decoded.body).toBe(200);
      expect(await byRequest('codec-quiet')).toEqual([]);
    });

    it('names an anonymous caller: the development keys let the UI in without a key', async () => {
      const devApp = await buildServer(
        loadApiConfig({
          DATABASE_URL: database.url,
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          TEMPORAL_TASK_QUEUE: world.taskQueue,
          NODE_ENV: 'development',
          PAYLOAD_KEYS: `dev:${newPayloadKey()}`,
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
        }),
      );
      try {
        const decoded = await as(
          devApp,
          undefined,
        )({
          method: 'POST',
          url: '/codec/decode',
          headers: { 'x-request-id': 'codec-anonymous' },
          payload: await encrypted(devApp, ['李四说楼道堆物', order3()], undefined),
        });
        expect(decoded.statusCode, decoded.body).toBe(200);
        const rows = await byRequest('codec-anonymous');
        expect(rows.map((e) => [e.keyName, e.role, e.unitId, e.appealId, e.fields])).toEqual([
          ['anonymous', 'anonymous', null, 'codec-read-3', ['contact', 'content']],
          ['anonymous', 'anonymous', null, null, ['content']],
        ]);
      } finally {
        await devApp.close();
      }
    });
  });

  it('answers nothing when the read cannot be logged', async () => {
    // Only this test's database: a trigger that refuses every new row of the trail.
    await database.pool.query(`
      create function refuse_reads() returns trigger language plpgsql as $$
      begin raise exception 'read audit unavailable'; end; $$;
      create trigger refuse_reads before insert on read_audit for each row execute function refuse_reads();`);
    try {
      const res = await as(world.app, 'center')({ method: 'GET', url: `/v1/appeals/${appealId}` });
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain('13900000000');
      expect(res.body).not.toContain('小区停水两天');
      const list = await as(world.app, 'center')({ method: 'GET', url: '/v1/appeals' });
      expect(list.statusCode).toBe(500);
      expect(list.body).not.toContain('小区停水');
    } finally {
      await database.pool.query('drop trigger refuse_reads on read_audit; drop function refuse_reads();');
    }
  });
});
