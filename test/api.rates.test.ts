/**
 * A unit's monthly rates and a level's monthly ranking over HTTP (Art. 25): who may read them,
 * the 400s naming the field, and the shapes. Rows are written directly; the arithmetic itself
 * is checked in db.rates.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, type ApiWorld } from './support/api.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { appeals, assessments } from '../db/schema/index.js';
import { addMonths, beijingMonthOf } from '../domain/months.js';

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-api-rates`);
  app = world.app;
  const rows = [
    { id: 'rates-api-1', unit: 'beijing-water', at: '2026-12-02T02:00:00Z', contacted: true, resolved: true },
    { id: 'rates-api-2', unit: 'beijing-water', at: '2026-12-03T02:00:00Z', contacted: true, resolved: false },
    { id: 'rates-api-3', unit: 'chaoyang-jianwai', at: '2026-12-04T02:00:00Z', contacted: true, resolved: true },
  ];
  for (const r of rows) {
    const closedAt = new Date(r.at);
    await database.db.insert(appeals).values({
      id: r.id,
      workflowId: `appeal-${r.id}`,
      channel: 'phone',
      appealType: 'help',
      categoryCode: 'utilities.water.outage',
      content: '测试',
      stage: 'closed',
      receivedAt: new Date(closedAt.getTime() - 86_400_000),
      closedAt,
    });
    await database.db.insert(assessments).values({
      appealId: r.id,
      unitId: r.unit,
      role: 'lead',
      responded: true,
      callbackValid: true,
      contacted: r.contacted,
      resolved: r.resolved,
      satisfaction: 'satisfied',
      closedAt,
    });
  }
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const WATER_URL = '/v1/assessments/units/beijing-water/months/2026-12';
/** The Beijing month after the current one, and one far ahead: no figures exist for either yet. */
const laterMonths = () => [addMonths(beijingMonthOf(new Date()), 1), '2099-12'];

describe('GET /v1/assessments/units/:unitId/months/:month', () => {
  it('answers the rates, the weights version and the rows to the center, supervisor, admin and the unit itself', async () => {
    for (const caller of ['center', 'supervisor', 'admin', 'water'] as const) {
      const res = await as(app, caller)({ method: 'GET', url: WATER_URL });
      expect(res.statusCode, `${caller}: ${res.body}`).toBe(200);
      expect(res.json()).toEqual({
        unitId: 'beijing-water',
        name: expect.any(String) as unknown,
        kind: 'public_service_enterprise',
        level: 'enterprise',
        month: '2026-12',
        weights: { version: 1, response: 0.1, resolution: 0.5, satisfaction: 0.4 },
        rates: {
          rows: 2,
          exempt: 0,
          invalidCallbacks: 0,
          valid: 2,
          contacted: 2,
          resolved: 1,
          satisfied: 2,
          basicallySatisfied: 0,
          response: 1,
          resolution: 0.5,
          satisfaction: 1,
          // 0.1 × 1 + 0.5 × 0.5 + 0.4 × 1
          composite: 0.75,
        },
        items: [
          expect.objectContaining({ appealId: 'rates-api-1', unitId: 'beijing-water', callbackValid: true }),
          expect.objectContaining({ appealId: 'rates-api-2', resolved: false }),
        ],
        frozenAt: null,
      });
    }
  });

  it('reports a month without valid callbacks as such', async () => {
    const res = await as(app, 'center')({ method: 'GET', url: '/v1/assessments/units/beijing-water/months/2026-11' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      weights: { version: 1 },
      rates: { rows: 0, valid: 0, response: null, resolution: null, satisfaction: null, composite: null },
      items: [],
    });
  });

  it('tells another unit nothing, refuses other roles, and names the bad field', async () => {
    expect((await as(app, 'jianwai')({ method: 'GET', url: WATER_URL })).statusCode).toBe(404);
    expect((await as(app, 'intake')({ method: 'GET', url: WATER_URL })).statusCode).toBe(403);
    expect((await as(app, 'coordinator')({ method: 'GET', url: WATER_URL })).statusCode).toBe(403);
    expect((await as(app, undefined)({ method: 'GET', url: WATER_URL })).statusCode).toBe(401);
    const unknown = await as(
      app,
      'center',
    )({ method: 'GET', url: '/v1/assessments/units/no-such-unit/months/2026-12' });
    expect(unknown.statusCode, unknown.body).toBe(404);
    for (const month of ['2026-13', '2026-1', 'december', '0000-01']) {
      const res = await as(
        app,
        'center',
      )({ method: 'GET', url: `/v1/assessments/units/beijing-water/months/${month}` });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({
        field: 'params/month',
        message: 'params/month: must be a month, YYYY-MM (year 1000 or later)',
      });
    }
    for (const month of laterMonths()) {
      const res = await as(app, 'water')({ method: 'GET', url: `/v1/assessments/units/beijing-water/months/${month}` });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({
        field: 'params/month',
        message: expect.stringMatching(
          /^params\/month: must not be after the current month, \d{4}-\d{2} \(Beijing time\)$/,
        ) as unknown,
      });
    }
    const extra = await as(app, 'center')({ method: 'GET', url: `${WATER_URL}?level=street` });
    expect(extra.statusCode, extra.body).toBe(400);
    expect(extra.json()).toMatchObject({ field: 'querystring/level' });
  });
});

describe('GET /v1/rankings/:month', () => {
  it('answers the table of a level to the center, supervisor and admin', async () => {
    for (const caller of ['center', 'supervisor', 'admin'] as const) {
      const res = await as(app, caller)({ method: 'GET', url: '/v1/rankings/2026-12?level=enterprise' });
      expect(res.statusCode, `${caller}: ${res.body}`).toBe(200);
      const body = res.json<{ month: string; level: string; weights: unknown; items: Record<string, unknown>[] }>();
      expect(body).toMatchObject({ month: '2026-12', level: 'enterprise', weights: { version: 1 }, frozenAt: null });
      expect(body.items).toHaveLength(8);
      expect(body.items[0]).toEqual({
        unitId: 'beijing-water',
        name: expect.any(String) as unknown,
        kind: 'public_service_enterprise',
        rank: 1,
        previousRank: null,
        rankChange: null,
        rows: 2,
        exempt: 0,
        invalidCallbacks: 0,
        valid: 2,
        contacted: 2,
        resolved: 1,
        satisfied: 2,
        basicallySatisfied: 0,
        response: 1,
        resolution: 0.5,
        satisfaction: 1,
        composite: 0.75,
      });
      expect(body.items.slice(1).every((r) => r.rank === null && r.valid === 0)).toBe(true);
    }
    const streets = await as(app, 'center')({ method: 'GET', url: '/v1/rankings/2026-12?level=street' });
    expect(streets.statusCode, streets.body).toBe(200);
    const items = streets.json<{ items: { unitId: string; rank: number | null }[] }>().items;
    expect(items).toHaveLength(343);
    expect(items[0]).toMatchObject({ unitId: 'chaoyang-jianwai', rank: 1 });
  });

  it('refuses units and other roles, and names the bad field', async () => {
    for (const caller of ['water', 'intake', 'coordinator'] as const) {
      const res = await as(app, caller)({ method: 'GET', url: '/v1/rankings/2026-12?level=street' });
      expect(res.statusCode, `${caller}: ${res.body}`).toBe(403);
    }
    expect((await as(app, undefined)({ method: 'GET', url: '/v1/rankings/2026-12?level=street' })).statusCode).toBe(
      401,
    );
    const badMonth = await as(app, 'center')({ method: 'GET', url: '/v1/rankings/2026-00?level=street' });
    expect(badMonth.statusCode, badMonth.body).toBe(400);
    expect(badMonth.json()).toMatchObject({ field: 'params/month' });
    for (const query of ['', '?level=district']) {
      const res = await as(app, 'center')({ method: 'GET', url: `/v1/rankings/2026-12${query}` });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<{ field: string }>().field).toMatch(/^querystring/);
    }
  });

  it('tells a key that never reads rankings so, whatever its parameters', async () => {
    for (const caller of ['water', 'intake', 'coordinator'] as const)
      for (const url of ['/v1/rankings/2026-12', '/v1/rankings/2026-00?level=town', '/v1/rankings/2099-12?x=1']) {
        const res = await as(app, caller)({ method: 'GET', url });
        expect(res.statusCode, `${caller} ${url}: ${res.body}`).toBe(403);
        expect(res.json<{ message: string }>().message).toMatch(/does not read rankings$/);
      }
  });

  it('refuses a query parameter it does not take, naming it', async () => {
    const res = await as(app, 'center')({ method: 'GET', url: '/v1/rankings/2026-12?level=street&district=chaoyang' });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ field: 'querystring/district', code: 'VALIDATION' });
  });

  it('refuses a month after the current Beijing month, naming it', async () => {
    for (const month of laterMonths()) {
      const res = await as(app, 'supervisor')({ method: 'GET', url: `/v1/rankings/${month}?level=street` });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ field: 'params/month', code: 'VALIDATION' });
    }
    const current = beijingMonthOf(new Date());
    const res = await as(app, 'supervisor')({ method: 'GET', url: `/v1/rankings/${current}?level=street` });
    expect(res.statusCode, res.body).toBe(200);
  });
});

describe('POST /v1/rankings/:month/freeze', () => {
  // A month of its own: workflow ids are shared by every test on the dev server.
  const month = '2019-03';
  const url = `/v1/rankings/${month}/freeze`;

  it('freezes a month that is over, once: a second call answers when it was frozen', async () => {
    const first = await as(app, 'center')({ method: 'POST', url });
    expect(first.statusCode, first.body).toBe(200);
    const frozen = first.json<{ frozenAt: string; rows: number }>();
    expect(frozen).toMatchObject({ month, frozenNow: true, workflowId: `monthly-assessment-${month}` });
    expect(frozen.rows).toBeGreaterThan(343);
    const again = await as(app, 'admin')({ method: 'POST', url });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual({ ...frozen, frozenNow: false, rows: 0 });
    const ranking = await as(app, 'supervisor')({ method: 'GET', url: `/v1/rankings/${month}?level=enterprise` });
    expect(ranking.json()).toMatchObject({ month, frozenAt: frozen.frozenAt });
    const unit = await as(app, 'water')({ method: 'GET', url: `/v1/assessments/units/beijing-water/months/${month}` });
    expect(unit.json()).toMatchObject({ month, frozenAt: frozen.frozenAt });
  });

  it('refuses a month that is not over, other roles, and a bad month', async () => {
    const current = await as(app, 'center')({ method: 'POST', url: '/v1/rankings/2099-01/freeze' });
    expect(current.statusCode, current.body).toBe(409);
    expect(current.json<{ message: string }>().message).toContain('2099-01 is not over');
    for (const caller of ['supervisor', 'water', 'intake', 'coordinator'] as const)
      expect((await as(app, caller)({ method: 'POST', url })).statusCode, caller).toBe(403);
    const bad = await as(app, 'center')({ method: 'POST', url: '/v1/rankings/2019-13/freeze' });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'params/month' });
  });
});
