/**
 * Assessments over HTTP (Art. 25, 31): a water outage driven to its close, its rows read as each
 * role may read them, and a unit's exemption request reviewed by the center, both steps audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, until, waterOutage, type ApiWorld } from './support/api.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { listAuditEvents } from '../db/queries/cases.js';

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-api-assessment`);
  app = world.app;
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

interface Row {
  appealId: string;
  unitId: string;
  role: string;
  callbackValid: boolean;
  contacted: boolean | null;
  resolved: boolean | null;
  satisfaction: string | null;
  claimedContacted: boolean;
  claimedResolved: boolean;
  reported: boolean | null;
  exempt: boolean;
  exemptReason: string | null;
  exemption: { status: string; reason: string; decisionReason: string | null; decidedAt: string | null } | null;
}
interface Rows {
  appealId: string;
  items: Row[];
}

/** A water outage from intake to its close, only through HTTP; answers its appeal id. */
async function closedWaterCase(): Promise<string> {
  const start = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
  expect(start.statusCode, start.body).toBe(201);
  const id = start.json<{ case: { appealId: string } }>().case.appealId;
  const center = as(app, 'center');
  const water = as(app, 'water');
  for (const [caller, action, payload] of [
    [center, 'triage', { disposition: 'dispatch' }],
    [water, 'accept', {}],
    [water, 'first-contact', { note: '已电话联系' }],
    [water, 'result', { outcome: 'resolved', summary: '已恢复供水' }],
  ] as const) {
    const res = await caller({ method: 'POST', url: `/v1/appeals/${id}/${action}`, payload });
    expect(res.statusCode, `${action}: ${res.body}`).toBe(200);
  }
  await until(
    async () => (await center({ method: 'GET', url: `/v1/appeals/${id}` })).json<{ stage: string }>(),
    (c) => c.stage === 'callback',
  );
  const callback = await center({
    method: 'POST',
    url: `/v1/appeals/${id}/callback`,
    payload: { reached: true, contacted: true, resolved: true, satisfaction: 'satisfied', channel: 'phone' },
  });
  expect(callback.statusCode, callback.body).toBe(200);
  const rows = await until(
    async () => (await center({ method: 'GET', url: `/v1/assessments/${id}` })).json<Rows>(),
    (r) => r.items?.length === 1,
  );
  expect(rows.items).toHaveLength(1);
  return id;
}

describe('assessments over HTTP', () => {
  it('reads the rows as each role may, and reviews one exemption request with both steps audited', async () => {
    const id = await closedWaterCase();
    const expected = {
      appealId: id,
      unitId: 'beijing-water',
      role: 'lead',
      callbackValid: true,
      contacted: true,
      resolved: true,
      satisfaction: 'satisfied',
      claimedContacted: true,
      claimedResolved: true,
      reported: true,
      exempt: false,
      exemption: null,
    };

    for (const caller of ['center', 'supervisor', 'admin', 'water'] as const) {
      const res = await as(app, caller)({ method: 'GET', url: `/v1/assessments/${id}` });
      expect(res.statusCode, `${caller}: ${res.body}`).toBe(200);
      expect(res.json<Rows>()).toEqual({ appealId: id, items: [expect.objectContaining(expected)] });
    }
    // A unit not assessed in the case is told nothing; an unknown appeal is a 404 for everyone.
    expect((await as(app, 'jianwai')({ method: 'GET', url: `/v1/assessments/${id}` })).statusCode).toBe(404);
    expect((await as(app, 'center')({ method: 'GET', url: '/v1/assessments/no-such-appeal' })).statusCode).toBe(404);
    expect((await as(app, 'intake')({ method: 'GET', url: `/v1/assessments/${id}` })).statusCode).toBe(403);

    const requestUrl = `/v1/assessments/${id}/beijing-water/exemption-request`;
    const decisionUrl = `/v1/assessments/${id}/beijing-water/exemption-decision`;
    const reason = '停水系上游市政管网爆管所致';

    // Only the unit itself asks, for its own row.
    const byOther = await as(app, 'jianwai')({ method: 'POST', url: requestUrl, payload: { reason } });
    expect(byOther.statusCode, byOther.body).toBe(404);
    const byCenter = await as(app, 'center')({ method: 'POST', url: requestUrl, payload: { reason } });
    expect(byCenter.statusCode, byCenter.body).toBe(403);
    const blank = await as(app, 'water')({ method: 'POST', url: requestUrl, payload: { reason: '   ' } });
    expect(blank.statusCode, blank.body).toBe(400);
    expect(blank.json()).toMatchObject({ field: 'body/reason' });

    const asked = await as(app, 'water')({ method: 'POST', url: requestUrl, payload: { reason } });
    expect(asked.statusCode, asked.body).toBe(200);
    expect(asked.json<Row>()).toMatchObject({
      exempt: false,
      exemption: { status: 'requested', reason, decisionReason: null, decidedAt: null },
    });
    const again = await as(app, 'water')({ method: 'POST', url: requestUrl, payload: { reason: '再次申请' } });
    expect(again.statusCode, again.body).toBe(409);

    // A unit key cannot decide, not even its own request.
    const byUnit = await as(
      app,
      'water',
    )({
      method: 'POST',
      url: decisionUrl,
      payload: { granted: true, reason: '自批' },
    });
    expect(byUnit.statusCode, byUnit.body).toBe(403);

    const granted = await as(
      app,
      'center',
    )({
      method: 'POST',
      url: decisionUrl,
      payload: { granted: true, reason: '经核实属不可抗力' },
    });
    expect(granted.statusCode, granted.body).toBe(200);
    expect(granted.json<Row>()).toMatchObject({
      exempt: true,
      exemptReason: `exemption granted: ${reason}`,
      exemption: { status: 'granted', reason, decisionReason: '经核实属不可抗力' },
    });
    expect(granted.json<Row>().exemption!.decidedAt).toEqual(expect.any(String));

    // Nothing pending any more: a second decision and a new request are both conflicts.
    const decidedAgain = await as(
      app,
      'admin',
    )({
      method: 'POST',
      url: decisionUrl,
      payload: { granted: false, reason: '复议' },
    });
    expect(decidedAgain.statusCode, decidedAgain.body).toBe(409);
    const afterGrant = await as(app, 'water')({ method: 'POST', url: requestUrl, payload: { reason } });
    expect(afterGrant.statusCode, afterGrant.body).toBe(409);

    const read = await as(app, 'supervisor')({ method: 'GET', url: `/v1/assessments/${id}` });
    expect(read.json<Rows>().items).toEqual([
      expect.objectContaining({
        unitId: 'beijing-water',
        exempt: true,
        exemption: expect.objectContaining({ status: 'granted' }) as unknown,
      }),
    ]);

    // Both steps are in the appeal's audit trail, after the close, with gap-free sequence numbers.
    const events = await listAuditEvents(database.db, id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const types = events.map((e) => e.type);
    expect(types.indexOf('assessment_exemption_requested')).toBeGreaterThan(types.indexOf('closed'));
    expect(events.filter((e) => e.type.startsWith('assessment_exemption_'))).toEqual([
      expect.objectContaining({
        type: 'assessment_exemption_requested',
        actor: 'unit:beijing-water',
        reason,
        payload: expect.objectContaining({ unitId: 'beijing-water' }) as unknown,
      }),
      expect.objectContaining({
        type: 'assessment_exemption_granted',
        actor: 'center',
        reason: '经核实属不可抗力',
        payload: expect.objectContaining({ unitId: 'beijing-water', granted: true }) as unknown,
      }),
    ]);
  });

  it('a decision with nothing pending is a conflict; an unknown row is a 404', async () => {
    const id = await closedWaterCase();
    const nothing = await as(
      app,
      'center',
    )({
      method: 'POST',
      url: `/v1/assessments/${id}/beijing-water/exemption-decision`,
      payload: { granted: true, reason: '无申请' },
    });
    expect(nothing.statusCode, nothing.body).toBe(409);
    const unknown = await as(
      app,
      'center',
    )({
      method: 'POST',
      url: `/v1/assessments/${id}/chaoyang-jianwai/exemption-decision`,
      payload: { granted: true, reason: '无此行' },
    });
    expect(unknown.statusCode, unknown.body).toBe(404);
    const refused = await as(
      app,
      'water',
    )({
      method: 'POST',
      url: `/v1/assessments/${id}/beijing-water/exemption-request`,
      payload: { reason: '管网老化' },
    });
    expect(refused.statusCode, refused.body).toBe(200);
    const denied = await as(
      app,
      'center',
    )({
      method: 'POST',
      url: `/v1/assessments/${id}/beijing-water/exemption-decision`,
      payload: { granted: false, reason: '属本单位职责' },
    });
    expect(denied.statusCode, denied.body).toBe(200);
    expect(denied.json<Row>()).toMatchObject({ exempt: false, exemption: { status: 'refused' } });
    const types = (await listAuditEvents(database.db, id)).map((e) => e.type);
    expect(types).toContain('assessment_exemption_refused');
  });

  it('a retried exemption request with its Idempotency-Key answers the row again; the key with another request is a 409', async () => {
    const id = await closedWaterCase();
    const url = `/v1/assessments/${id}/beijing-water/exemption-request`;
    const ask = (key: string, reason: string) =>
      as(app, 'water')({ method: 'POST', url, headers: { 'idempotency-key': key }, payload: { reason } });
    const reason = '因市政施工导致停水，非本单位原因';
    const first = await ask('ex-retry', reason);
    expect(first.statusCode, first.body).toBe(200);
    const retried = await ask('ex-retry', reason);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toEqual(first.json());
    // The key sent with another reason, or a new key for a row already asked for: the row is asked for once.
    const otherBody = await ask('ex-retry', '另一理由');
    expect(otherBody.statusCode, otherBody.body).toBe(409);
    expect(otherBody.json<{ message: string }>().message).toContain('Idempotency-Key was already used');
    const newKey = await ask('ex-other', reason);
    expect(newKey.statusCode, newKey.body).toBe(409);
    expect(newKey.json<{ message: string }>().message).toContain('an exemption was already asked for');
    const requested = (await listAuditEvents(database.db, id)).filter(
      (e) => e.type === 'assessment_exemption_requested',
    );
    expect(requested).toHaveLength(1);
  });
});
