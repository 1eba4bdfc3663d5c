/**
 * Nothing a unit sent is lost, over HTTP (DOMAIN: "Nothing a requester or unit sent is ever
 * lost"): a co-handler's reports and a summoned department's report-in note are served with the
 * case to every party that sees it, earlier whistles stay in it, and an authority asked to
 * coordinate before a second request still reads the case with its opinion (Art. 16, 18, 22).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, waterOutage, type ApiWorld, type Caller } from './support/api.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-case-texts`);
  app = world.app;
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

interface CaseView {
  involvedUnitIds: string[];
  coHandlers: { unitId: string; status: string; interimReports?: { at: string; report: string }[]; report?: string }[];
  whistle?: {
    reason: string;
    departments: { unitId: string; status: string; note?: string }[];
    earlier?: { reason: string; departments: { unitId: string; note?: string }[] }[];
  };
  coordination?: { coordinatorId: string; status: string; opinion?: string };
  earlierCoordinations?: { coordinatorId: string; status: string; opinion?: string }[];
}

const act = async (caller: Caller, id: string, action: string, payload: object): Promise<CaseView> => {
  const res = await as(app, caller)({ method: 'POST', url: `/v1/appeals/${id}/${action}`, payload });
  expect(res.statusCode, `${action}: ${res.body}`).toBe(200);
  return res.json<CaseView>();
};
const read = async (caller: Caller, id: string) => as(app, caller)({ method: 'GET', url: `/v1/appeals/${id}` });

async function start(): Promise<string> {
  const res = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ case: { appealId: string } }>().case.appealId;
}

describe('the case keeps what the units sent', () => {
  it("serves a co-handler's reports and a department's report-in note to the lead, the unit itself and the center", async () => {
    const id = await start();
    // The street leads (it may blow the whistle); the water company is its co-handler and a summoned department.
    await act('center', id, 'triage', { disposition: 'dispatch', unitId: 'chaoyang-jianwai' });
    await act('jianwai', id, 'accept', {});
    await act('jianwai', id, 'co-handlers', { unitId: 'beijing-water', task: '核查小区供水管网' });
    await act('water', id, 'co-handler-report', { report: '阶段性报告：已关阀检修', interim: true });
    await act('water', id, 'co-handler-report', { report: '主管道已更换，供水恢复' });
    await act('jianwai', id, 'whistle', { departmentIds: ['beijing-water'], reason: '需供水集团到场' });
    await act('water', id, 'report-in', { note: '抢修队已到场' });
    await act('jianwai', id, 'whistle', { departmentIds: ['city-urban-enforcement'], reason: '占道施工需执法' });

    for (const caller of ['jianwai', 'water', 'center'] as const) {
      const res = await read(caller, id);
      expect(res.statusCode, `${caller}: ${res.body}`).toBe(200);
      const c = res.json<CaseView>();
      expect(c.coHandlers, caller).toEqual([
        expect.objectContaining({
          unitId: 'beijing-water',
          status: 'done',
          interimReports: [{ at: expect.any(String) as unknown, report: '阶段性报告：已关阀检修' }],
          report: '主管道已更换，供水恢复',
        }),
      ]);
      expect(c.whistle, caller).toMatchObject({
        reason: '占道施工需执法',
        departments: [
          { unitId: 'beijing-water', status: 'done', note: '抢修队已到场' },
          { unitId: 'city-urban-enforcement', status: 'open' },
        ],
        earlier: [{ reason: '需供水集团到场', departments: [{ unitId: 'beijing-water', note: '抢修队已到场' }] }],
      });
    }
  });

  it('keeps an earlier coordination with its opinion, and its authority still reads the case', async () => {
    const id = await start();
    await act('center', id, 'triage', { disposition: 'dispatch' });
    await act('water', id, 'accept', {});
    // The coordinator key is the Chaoyang district government's; the water company's case has no other part for it.
    await act('water', id, 'coordination-request', { coordinatorId: 'chaoyang-gov', reason: '涉及小区产权' });
    await act('coordinator', id, 'coordination-opinion', { opinion: '由物业配合抢修' });
    const c = await act('water', id, 'coordination-request', {
      coordinatorId: 'sector-water',
      reason: '需行业主管部门协调',
    });
    expect(c.coordination).toMatchObject({ coordinatorId: 'sector-water', status: 'requested' });
    expect(c.earlierCoordinations).toEqual([
      expect.objectContaining({ coordinatorId: 'chaoyang-gov', status: 'answered', opinion: '由物业配合抢修' }),
    ]);

    const seen = await read('coordinator', id);
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json<CaseView>()).toMatchObject({
      involvedUnitIds: expect.arrayContaining(['beijing-water', 'chaoyang-gov', 'sector-water']) as unknown,
      earlierCoordinations: [{ coordinatorId: 'chaoyang-gov', opinion: '由物业配合抢修' }],
    });
    // Its inbox still finds the case.
    const inbox = await as(app, 'coordinator')({ method: 'GET', url: '/v1/units/chaoyang-gov/inbox' });
    expect(inbox.statusCode, inbox.body).toBe(200);
    expect(inbox.json<{ items: { appealId: string }[] }>().items.map((i) => i.appealId)).toContain(id);
  });
});
