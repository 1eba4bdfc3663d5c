/**
 * The supervisors' read paths over HTTP, on real workflows where the figures come from them:
 * accountability records linked to their audit events (an objection rejected on review), the
 * dispatch accuracy of cases objected to, upheld and re-dispatched, the ranking's CSV read back
 * and compared with its JSON, and the hot spots; each read as every role may or may not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { and, eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, until, waterOutage, type ApiWorld, type Caller } from './support/api.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { listAuditEvents } from '../db/queries/cases.js';
import { appeals, assessments, dispatchCatalogue } from '../db/schema/index.js';
import { addMonths } from '../domain/months.js';

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

/** The Beijing month (`YYYY-MM`) of an instant. */
const beijingMonth = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 7);
/** The Beijing month after the current one, and one far ahead: no figures exist for either yet. */
const laterMonths = () => [addMonths(beijingMonth(new Date()), 1), '2099-12'];

/** A 400 naming `field`, in the API's error body. */
function expectRefused(res: LightMyRequestResponse, field: string): void {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.json()).toMatchObject({ statusCode: 400, field, code: 'VALIDATION' });
}

async function act(caller: Caller, id: string, action: string, payload: object): Promise<void> {
  const res = await as(app, caller)({ method: 'POST', url: `/v1/appeals/${id}/${action}`, payload });
  expect(res.statusCode, `${action}: ${res.body}`).toBe(200);
}

async function start(payload: object): Promise<string> {
  const res = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ case: { appealId: string } }>().case.appealId;
}

const roadDamage = {
  channel: 'phone',
  appealType: 'complaint',
  categoryCode: 'urban.road_damage',
  content: '建外街道某小区门前道路塌陷',
  districtId: 'chaoyang',
  streetId: 'chaoyang-jianwai',
  requester: { name: '李四', phone: '13800000000' },
};

/** A: objected to and upheld (accountability for the water company); B: re-dispatched; C: accepted. */
let upheld: string;
let redispatched: string;
let accepted: string;
/** The Beijing month the three were dispatched in. */
let month: string;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-api-supervision`);
  app = world.app;

  upheld = await start(waterOutage());
  await act('center', upheld, 'triage', { disposition: 'dispatch' });
  await act('water', upheld, 'object', { reason: '该小区为自备井供水，不属本公司' });
  await act('center', upheld, 'objection-decision', { decision: 'upheld', reason: '经核实属市政管网供水' });

  redispatched = await start(roadDamage);
  await act('center', redispatched, 'triage', { disposition: 'dispatch' });
  await act('jianwai', redispatched, 'object', { reason: '该路段属三里屯街道辖区' });
  await act('center', redispatched, 'objection-decision', {
    decision: 'redispatch',
    reason: '核实属三里屯街道',
    newUnitId: 'chaoyang-sanlitun',
  });

  accepted = await start(waterOutage());
  await act('center', accepted, 'triage', { disposition: 'dispatch' });
  await act('water', accepted, 'accept', {});

  const events = await listAuditEvents(database.db, upheld);
  month = beijingMonth(events.find((e) => e.type === 'dispatched')!.at);
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

interface Accountability {
  unitId: string;
  month: string;
  summary: { total: number; byKind: Record<string, number> };
  items: {
    appealId: string;
    kind: string;
    detail: string | null;
    at: string;
    auditEvent: { seq: number; stepKey: string; type: string; actor: string; reason: string | null; at: string } | null;
  }[];
}

describe('GET /v1/accountability/units/:unitId/months/:month', () => {
  it('answers the records with their audit events to the center, supervisor, admin and the unit itself', async () => {
    const url = `/v1/accountability/units/beijing-water/months/${month}`;
    const body = await until(
      async () => (await as(app, 'center')({ method: 'GET', url })).json<Accountability>(),
      (b) => b.items?.length === 1,
    );
    const event = (await listAuditEvents(database.db, upheld)).find((e) => e.type === 'objection_upheld')!;
    for (const caller of ['center', 'supervisor', 'admin', 'water'] as const) {
      const res = await as(app, caller)({ method: 'GET', url });
      expect(res.statusCode, `${caller}: ${res.body}`).toBe(200);
      expect(res.json<Accountability>()).toEqual({
        unitId: 'beijing-water',
        name: expect.any(String) as unknown,
        kind: 'public_service_enterprise',
        month,
        summary: {
          total: 1,
          byKind: expect.objectContaining({ objection_rejected: 1, late_acceptance: 0 }) as unknown,
        },
        items: [
          {
            appealId: upheld,
            stepKey: expect.stringContaining('objection_rejected:beijing-water:') as unknown,
            kind: 'objection_rejected',
            detail: '经核实属市政管网供水',
            at: expect.any(String) as unknown,
            auditEvent: {
              seq: event.seq,
              stepKey: event.stepKey,
              type: 'objection_upheld',
              actor: 'center',
              reason: '经核实属市政管网供水',
              at: event.at.toISOString(),
            },
          },
        ],
      });
    }
    expect(Object.keys(body.summary.byKind)).toHaveLength(9);
  });

  it('tells another unit nothing, refuses other roles, and names the bad field', async () => {
    const url = `/v1/accountability/units/beijing-water/months/${month}`;
    expect((await as(app, 'jianwai')({ method: 'GET', url })).statusCode).toBe(404);
    expect((await as(app, 'intake')({ method: 'GET', url })).statusCode).toBe(403);
    // A coordinator's key reads its own unit's records only (late coordination opinions are its own).
    expect((await as(app, 'coordinator')({ method: 'GET', url })).statusCode).toBe(404);
    const own = await as(
      app,
      'coordinator',
    )({ method: 'GET', url: `/v1/accountability/units/chaoyang-gov/months/${month}` });
    expect(own.statusCode, own.body).toBe(200);
    expect((await as(app, undefined)({ method: 'GET', url })).statusCode).toBe(401);
    const unknown = await as(
      app,
      'center',
    )({ method: 'GET', url: `/v1/accountability/units/no-such-unit/months/${month}` });
    expect(unknown.statusCode, unknown.body).toBe(404);
    // A unit with no record this month: zeros, not a 404.
    const none = await as(
      app,
      'jianwai',
    )({ method: 'GET', url: `/v1/accountability/units/chaoyang-jianwai/months/2020-01` });
    expect(none.statusCode, none.body).toBe(200);
    expect(none.json<Accountability>()).toMatchObject({ summary: { total: 0 }, items: [] });
    for (const bad of ['2026-13', '2026-1', 'december']) {
      const res = await as(
        app,
        'center',
      )({ method: 'GET', url: `/v1/accountability/units/beijing-water/months/${bad}` });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ field: 'params/month' });
    }
    for (const later of laterMonths())
      expectRefused(
        await as(app, 'water')({ method: 'GET', url: `/v1/accountability/units/beijing-water/months/${later}` }),
        'params/month',
      );
    expectRefused(await as(app, 'center')({ method: 'GET', url: `${url}?kind=late` }), 'querystring/kind');
  });
});

describe('GET /v1/dispatch-accuracy/:month', () => {
  it('counts the real workflows’ dispatches, objections and re-dispatches, by category and rule', async () => {
    const ruleId = async (category: string) =>
      (
        await database.db
          .select({ id: dispatchCatalogue.id })
          .from(dispatchCatalogue)
          .where(and(eq(dispatchCatalogue.categoryCode, category), eq(dispatchCatalogue.scope, 'city')))
      )[0]!.id;
    const url = `/v1/dispatch-accuracy/${month}`;
    const res = await as(app, 'supervisor')({ method: 'GET', url });
    expect(res.statusCode, res.body).toBe(200);
    const water = { dispatches: 2, objectionsRaised: 1, objectionsGranted: 0, objectionsUpheld: 1, redispatches: 0 };
    const road = { dispatches: 1, objectionsRaised: 1, objectionsGranted: 1, objectionsUpheld: 0, redispatches: 1 };
    expect(res.json()).toEqual({
      month,
      // 3 dispatches, 1 misdispatched (the road, re-dispatched after its objection was granted).
      total: {
        dispatches: 3,
        objectionsRaised: 2,
        objectionsGranted: 1,
        objectionsUpheld: 1,
        redispatches: 1,
        misdispatched: 1,
        accuracy: 0.6667,
      },
      categories: [
        { categoryCode: 'utilities.water.outage', categoryName: '停水', ...water, misdispatched: 0, accuracy: 1 },
        {
          categoryCode: 'urban.road_damage',
          categoryName: expect.any(String) as unknown,
          ...road,
          misdispatched: 1,
          accuracy: 0,
        },
      ],
      rules: [
        {
          categoryCode: 'utilities.water.outage',
          categoryName: '停水',
          rule: {
            id: await ruleId('utilities.water.outage'),
            scope: 'city',
            districtId: null,
            streetId: null,
            unitId: 'beijing-water',
            unitKind: null,
          },
          ...water,
          misdispatched: 0,
          accuracy: 1,
        },
        {
          categoryCode: 'urban.road_damage',
          categoryName: expect.any(String) as unknown,
          rule: {
            id: await ruleId('urban.road_damage'),
            scope: 'city',
            districtId: null,
            streetId: null,
            unitId: null,
            unitKind: 'street_of_location',
          },
          ...road,
          misdispatched: 1,
          accuracy: 0,
        },
      ],
    });
    for (const caller of ['center', 'admin'] as const)
      expect((await as(app, caller)({ method: 'GET', url })).statusCode).toBe(200);
    for (const caller of ['water', 'jianwai', 'intake', 'coordinator'] as const)
      expect((await as(app, caller)({ method: 'GET', url })).statusCode, caller).toBe(403);
    const bad = await as(app, 'center')({ method: 'GET', url: '/v1/dispatch-accuracy/2026-00' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'params/month' });
    for (const later of laterMonths())
      expectRefused(await as(app, 'center')({ method: 'GET', url: `/v1/dispatch-accuracy/${later}` }), 'params/month');
    expectRefused(await as(app, 'center')({ method: 'GET', url: `${url}?category=x` }), 'querystring/category');
  });
});

/** RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks; records end in CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    record.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') endField();
    else if (ch === '\r' && text[i + 1] === '\n') {
      endField();
      records.push(record);
      record = [];
      i++;
    } else field += ch;
  }
  if (field !== '' || record.length > 0) {
    endField();
    records.push(record);
  }
  return records;
}

describe('GET /v1/rankings/:month/export.csv', () => {
  beforeAll(async () => {
    const rows: [string, string, boolean, boolean, string][] = [
      // October 2026: water 0.75 (one resolved of two), grid 1, gas 1 (a tie), heating not valid.
      ['csv-1', 'beijing-water', true, true, 'satisfied'],
      ['csv-2', 'beijing-water', true, false, 'satisfied'],
      ['csv-3', 'state-grid-beijing', true, true, 'satisfied'],
      ['csv-4', 'beijing-gas', true, true, 'satisfied'],
    ];
    for (const [id, unitId, contacted, resolved, satisfaction] of rows) {
      const closedAt = new Date('2026-10-12T02:00:00Z');
      await database.db.insert(appeals).values({
        id,
        workflowId: `appeal-${id}`,
        channel: 'phone',
        appealType: 'help',
        categoryCode: 'utilities.water.outage',
        content: '测试, "引号"',
        stage: 'closed',
        receivedAt: new Date(closedAt.getTime() - 86_400_000),
        closedAt,
      });
      await database.db.insert(assessments).values({
        appealId: id,
        unitId,
        role: 'lead',
        responded: true,
        callbackValid: true,
        contacted,
        resolved,
        satisfaction,
        closedAt,
      });
    }
  });

  it('is the JSON ranking read back, with Chinese headers and a BOM, as an attachment', async () => {
    for (const level of ['enterprise', 'street'] as const) {
      const json = await as(app, 'center')({ method: 'GET', url: `/v1/rankings/2026-10?level=${level}` });
      expect(json.statusCode, json.body).toBe(200);
      const ranking = json.json<{ items: Record<string, unknown>[] }>();
      const res = await as(app, 'supervisor')({ method: 'GET', url: `/v1/rankings/2026-10/export.csv?level=${level}` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toContain(`attachment; filename="rankings-2026-10-${level}.csv"`);
      expect(res.headers['content-disposition']).toContain("filename*=UTF-8''");
      expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = res.rawPayload.toString('utf8');
      expect(text.charCodeAt(0)).toBe(0xfeff);
      const [header, ...records] = parseCsv(text.slice(1));
      expect(header).toEqual([
        '排名',
        '单位编码',
        '单位',
        '类型',
        '有效回访数',
        '响应率',
        '解决率',
        '满意率',
        '综合得分',
        '上月排名',
        '名次变化',
        '说明',
      ]);
      expect(records).toHaveLength(ranking.items.length);
      const num = (s: string) => (s === '' ? null : Number(s));
      records.forEach((r, i) => {
        const item = ranking.items[i]!;
        expect(
          {
            rank: num(r[0]!),
            unitId: r[1],
            name: r[2],
            valid: Number(r[4]),
            response: num(r[5]!),
            resolution: num(r[6]!),
            satisfaction: num(r[7]!),
            composite: num(r[8]!),
            previousRank: num(r[9]!),
            rankChange: num(r[10]!),
            note: r[11],
          },
          `line ${i + 2}`,
        ).toEqual({
          rank: item.rank,
          unitId: item.unitId,
          name: item.name,
          valid: item.valid,
          response: item.response,
          resolution: item.resolution,
          satisfaction: item.satisfaction,
          composite: item.composite,
          previousRank: item.previousRank,
          rankChange: item.rankChange,
          note: item.valid === 0 ? '无有效回访' : '',
        });
      });
      if (level === 'enterprise') {
        // The tie shares rank 1; water follows at 3; an unranked unit has an empty rank and rates.
        expect(records.slice(0, 3).map((r) => [r[0], r[1], r[3], r[8]])).toEqual([
          ['1', 'beijing-gas', '公共服务企业', '1'],
          ['1', 'state-grid-beijing', '公共服务企业', '1'],
          ['3', 'beijing-water', '公共服务企业', '0.75'],
        ]);
        expect(records[3]!.slice(4, 9).concat(records[3]![0]!, records[3]![11]!)).toEqual([
          '0',
          '',
          '',
          '',
          '',
          '',
          '无有效回访',
        ]);
      } else expect(records).toHaveLength(343);
    }
  });

  it('refuses units and other roles, and names the bad field', async () => {
    for (const caller of ['water', 'intake', 'coordinator'] as const) {
      const res = await as(app, caller)({ method: 'GET', url: '/v1/rankings/2026-10/export.csv?level=street' });
      expect(res.statusCode, caller).toBe(403);
    }
    for (const [url, field] of [
      ['/v1/rankings/2026-10/export.csv', 'querystring'],
      ['/v1/rankings/2026-10/export.csv?level=district', 'querystring'],
      ['/v1/rankings/26-10/export.csv?level=street', 'params/month'],
    ] as const) {
      const res = await as(app, 'center')({ method: 'GET', url });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json<{ field: string }>().field).toMatch(new RegExp(`^${field}`));
    }
    // A key that never reads rankings is told so, not what its parameters lack.
    for (const caller of ['water', 'intake', 'coordinator'] as const) {
      const res = await as(app, caller)({ method: 'GET', url: '/v1/rankings/2026-10/export.csv' });
      expect(res.statusCode, `${caller}: ${res.body}`).toBe(403);
      expect(res.json<{ message: string }>().message).toMatch(/does not read rankings$/);
    }
    expectRefused(
      await as(app, 'center')({ method: 'GET', url: '/v1/rankings/2026-10/export.csv?level=street&bom=false' }),
      'querystring/bom',
    );
    for (const later of laterMonths())
      expectRefused(
        await as(app, 'center')({ method: 'GET', url: `/v1/rankings/${later}/export.csv?level=street` }),
        'params/month',
      );
  });
});

describe('GET /v1/hot-spots/:month', () => {
  it('answers the shape the supervisor page reads, to the center, supervisor and admin only', async () => {
    for (const caller of ['center', 'supervisor', 'admin'] as const) {
      const res = await as(app, caller)({ method: 'GET', url: `/v1/hot-spots/${month}` });
      expect(res.statusCode, `${caller}: ${res.body}`).toBe(200);
      // The road damage is the month's only appeal with a street; the water outages have none.
      expect(res.json()).toEqual({
        month,
        top: [
          {
            categoryId: 'urban.road_damage',
            categoryName: expect.any(String) as unknown,
            streetId: 'chaoyang-jianwai',
            streetName: '建外街道',
            districtId: 'chaoyang',
            count: 1,
            lastMonth: 0,
            lastYear: 0,
          },
        ],
        risingCategories: [],
        recurringAddresses: [],
        monthlyTopics: [],
      });
    }
    for (const caller of ['water', 'intake', 'coordinator'] as const)
      expect((await as(app, caller)({ method: 'GET', url: `/v1/hot-spots/${month}` })).statusCode, caller).toBe(403);
    const bad = await as(app, 'center')({ method: 'GET', url: '/v1/hot-spots/2026' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'params/month' });
  });

  it('refuses a query parameter it does not take and a month after the current one, naming them', async () => {
    expectRefused(
      await as(app, 'supervisor')({ method: 'GET', url: `/v1/hot-spots/${month}?district=chaoyang` }),
      'querystring/district',
    );
    for (const later of laterMonths()) {
      const res = await as(app, 'supervisor')({ method: 'GET', url: `/v1/hot-spots/${later}` });
      expectRefused(res, 'params/month');
      expect(res.json<{ message: string }>().message).toMatch(/^params\/month: must not be after the current month/);
    }
    // A key that never reads hot spots is told so first.
    const unit = await as(app, 'water')({ method: 'GET', url: '/v1/hot-spots/2099-12?district=chaoyang' });
    expect(unit.statusCode, unit.body).toBe(403);
  });
});
