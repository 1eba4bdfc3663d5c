/**
 * The units' webhook endpoints as an admin manages them: set with `PUT /v1/units/:unitId/webhook`,
 * listed by unit id a page at a time without their secrets, removed one by one; read as the
 * endpoints of the other audiences are (admin, supervisor, center), changed by admin only.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { API_KEYS_JSON, as } from './support/api.js';
import { buildServer } from '../api/buildServer.js';
import { loadApiConfig } from '../api/config.js';
import { getEndpoint, upsertEndpoint } from '../db/queries/webhooks.js';

let database: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  app = await buildServer(
    loadApiConfig({
      API_KEYS: API_KEYS_JSON,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    }),
  );
});
afterAll(async () => {
  await app?.close();
  await database?.drop();
});

interface Shown {
  unitId: string;
  url: string;
  enabled: boolean;
  updatedAt: string;
}
interface Page {
  items: Shown[];
  nextCursor: string | null;
}

const UNITS = ['beijing-gas', 'beijing-water', 'chaoyang-gov', 'chaoyang-jianwai', 'haidian-zhongguancun'];

describe("the units' webhook endpoints", () => {
  beforeAll(async () => {
    for (const [i, unitId] of UNITS.entries()) {
      const res = await as(
        app,
        'admin',
      )({
        method: 'PUT',
        url: `/v1/units/${unitId}/webhook`,
        payload: { url: `https://${unitId}.example/jiesu`, enabled: i !== 1 },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ secret: string }>().secret).toMatch(/^whsec_/);
    }
  });

  it('lists them by unit id, a page at a time, never with a secret', async () => {
    const admin = as(app, 'admin');
    const all = await admin({ method: 'GET', url: '/v1/admin/unit-webhooks' });
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json<Page>()).toEqual({
      items: UNITS.map((unitId, i) => ({
        unitId,
        url: `https://${unitId}.example/jiesu`,
        enabled: i !== 1,
        updatedAt: expect.any(String) as string,
      })),
      nextCursor: null,
    });
    expect(all.body).not.toContain('whsec_');
    expect(all.body).not.toContain('secret');

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await admin({
        method: 'GET',
        url: `/v1/admin/unit-webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<Page>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.unitId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(UNITS);
    expect(pages).toBe(3);
  });

  it("is read by admin, supervisors and the center (as the other audiences' endpoints); 403 for others, 401 without a key", async () => {
    for (const caller of ['admin', 'supervisor', 'center'] as const)
      expect((await as(app, caller)({ method: 'GET', url: '/v1/admin/unit-webhooks' })).statusCode, caller).toBe(200);
    for (const caller of ['water', 'coordinator', 'intake'] as const) {
      const res = await as(app, caller)({ method: 'GET', url: '/v1/admin/unit-webhooks' });
      expect(res.statusCode, caller).toBe(403);
      expect(res.body).not.toContain('example/jiesu');
    }
    expect((await as(app, undefined)({ method: 'GET', url: '/v1/admin/unit-webhooks' })).statusCode).toBe(401);
  });

  it('refuses a bad page size or cursor as a 400 naming the field', async () => {
    for (const [query, field] of [
      ['limit=0', 'querystring/limit'],
      ['limit=501', 'querystring/limit'],
      ['limit=two', 'querystring/limit'],
      ['cursor=%2A%2A%2A', 'querystring/cursor'],
      [`cursor=${Buffer.from('a b').toString('base64url')}`, 'querystring/cursor'],
      ['unitId=beijing-gas', 'querystring/unitId'],
    ]) {
      const res = await as(app, 'admin')({ method: 'GET', url: `/v1/admin/unit-webhooks?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toMatchObject({ statusCode: 400, field });
    }
  });

  it('removes one, answering it without its secret; 404 naming a unit that has none', async () => {
    expect(
      (await as(app, 'supervisor')({ method: 'DELETE', url: '/v1/admin/unit-webhooks/beijing-gas' })).statusCode,
    ).toBe(403);
    expect(await getEndpoint(database.db, { unitId: 'beijing-gas' })).toBeDefined();

    const admin = as(app, 'admin');
    const removed = await admin({ method: 'DELETE', url: '/v1/admin/unit-webhooks/beijing-gas' });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json()).toEqual({
      unitId: 'beijing-gas',
      url: 'https://beijing-gas.example/jiesu',
      enabled: true,
      updatedAt: expect.any(String) as string,
    });
    expect(await getEndpoint(database.db, { unitId: 'beijing-gas' })).toBeUndefined();
    const listed = (await admin({ method: 'GET', url: '/v1/admin/unit-webhooks' })).json<Page>();
    expect(listed.items.map((i) => i.unitId)).toEqual(UNITS.slice(1));

    for (const unitId of ['beijing-gas', 'no-such-unit']) {
      const again = await admin({ method: 'DELETE', url: `/v1/admin/unit-webhooks/${unitId}` });
      expect(again.statusCode, again.body).toBe(404);
      expect(again.json<{ message: string }>().message).toBe(`no webhook endpoint is configured for unit ${unitId}`);
    }
    const bad = await admin({ method: 'DELETE', url: '/v1/admin/unit-webhooks/a%20b' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'params/unitId' });
  });

  it('refuses an endpoint URL with a user name or password, naming url, for a unit and for the other audiences', async () => {
    const admin = as(app, 'admin');
    for (const url of ['http://user:pw@x.example/', 'https://token@x.example/hook']) {
      for (const path of ['/v1/units/beijing-drainage/webhook', '/v1/notification-endpoints/center']) {
        const res = await admin({ method: 'PUT', url: path, payload: { url } });
        expect(res.statusCode, `${path}: ${res.body}`).toBe(400);
        expect(res.json()).toMatchObject({
          field: 'body/url',
          message: 'body/url: must not carry a user name or password',
        });
        expect(res.body).not.toContain('pw@');
      }
    }
    expect(await getEndpoint(database.db, { unitId: 'beijing-drainage' })).toBeUndefined();

    // One kept before they were refused is read back without them.
    await upsertEndpoint(database.db, {
      unitId: 'beijing-drainage',
      url: 'http://user:pw@x.example/hook',
      enabled: true,
      newSecret: 'whsec_kept-before',
    });
    const listed = await admin({ method: 'GET', url: '/v1/admin/unit-webhooks' });
    expect(listed.json<Page>().items).toContainEqual(
      expect.objectContaining({ unitId: 'beijing-drainage', url: 'http://x.example/hook' }),
    );
    expect(listed.body).not.toContain('pw@');
  });
});
