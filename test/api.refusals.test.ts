/**
 * Nothing is accepted that does not exist or does not fit: the API refuses a body's unknown or
 * unfitting references with a 400 naming the field, before the workflow hears of it (its
 * history gains no Update), and its role gate is the rules table's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, TEST_KEYS, waterOutage, type ApiWorld, type Caller } from './support/api.js';
import { appeals } from '../db/schema/index.js';
import { ACTION_RULES, rolesFor, type ActionName } from '../domain/actions.js';
import { CALLBACK_CHANNELS } from '../domain/appeal.js';
import { appealWorkflowId, TASK_QUEUE } from '../workflows/appeal/definitions.js';

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-api-refusals`);
  app = world.app;
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

let seq = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now()}-${++seq}`;

async function startCase(payload: object = waterOutage()): Promise<string> {
  const res = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ case: { appealId: string } }>().case.appealId;
}

/** A water outage dispatched to and accepted by the water company: its lead unit's key may act on it. */
async function startHandledCase(): Promise<string> {
  const id = await startCase();
  const triaged = await as(
    app,
    'center',
  )({ method: 'POST', url: `/v1/appeals/${id}/triage`, payload: { disposition: 'dispatch' } });
  expect(triaged.statusCode, triaged.body).toBe(200);
  const accepted = await as(app, 'water')({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {} });
  expect(accepted.statusCode, accepted.body).toBe(200);
  return id;
}

/** What the workflow heard: the Updates it accepted and the signals it received. */
async function messagesIn(appealId: string): Promise<{ updates: number; signals: number }> {
  const history = await world.env.client.workflow.getHandle(appealWorkflowId(appealId)).fetchHistory();
  const events = history.events ?? [];
  return {
    updates: events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length,
    signals: events.filter((e) => e.workflowExecutionSignaledEventAttributes).length,
  };
}

function expectRefusal(res: LightMyRequestResponse, field: string): void {
  expect(res.statusCode, res.body).toBe(400);
  const body = res.json<{ field?: string; message: string }>();
  expect(body.field).toBe(field);
  expect(body.message.startsWith(`${field}:`), body.message).toBe(true);
}

/** Sends the action and asserts the 400 on `field`, with nothing added to the case's history. */
async function refused(
  caller: Caller,
  appealId: string,
  path: string,
  payload: object,
  field: string,
): Promise<LightMyRequestResponse> {
  const before = await messagesIn(appealId);
  const res = await as(app, caller)({ method: 'POST', url: `/v1/appeals/${appealId}/${path}`, payload });
  expectRefusal(res, field);
  expect(await messagesIn(appealId)).toEqual(before);
  return res;
}

/** A closed appeal as its record says, without driving a workflow there. */
async function insertClosedAppeal(): Promise<string> {
  const id = uniqueId('closed-original');
  const at = new Date();
  await database.db.insert(appeals).values({
    id,
    workflowId: appealWorkflowId(id),
    channel: 'phone',
    appealType: 'help',
    categoryCode: 'utilities.water.outage',
    content: '旧件',
    stage: 'closed',
    receivedAt: at,
    closedAt: at,
  });
  return id;
}

/** A body each action's schema accepts, whose references exist and fit. */
const VALID_BODIES: Record<ActionName, object> = {
  triageAppeal: { disposition: 'dispatch' },
  giveConsultationOpinion: { opinion: '宜由属地牵头' },
  concludeConsultation: { leadUnitId: 'chaoyang-jianwai', reason: '属地管理' },
  acceptDispatch: {},
  objectToDispatch: { reason: '不属本单位职责' },
  decideObjection: { decision: 'upheld', reason: '维持派单' },
  recordForwarding: { organ: '中央驻京单位' },
  recordForwardingFeedback: { feedback: '已处理' },
  recordFirstContact: {},
  addCoHandler: { unitId: 'chaoyang-housing', task: '核查' },
  reportCoHandlerPart: { report: '已核查' },
  blowWhistle: { departmentIds: ['chaoyang-urban-enforcement'], reason: '占道经营' },
  reportIn: { note: '已到场' },
  requestExtension: { reason: '需协调' },
  decideExtension: { approved: true, reason: '同意' },
  requestCoordination: { coordinatorId: 'chaoyang-gov', reason: '需协调' },
  giveCoordinationOpinion: { opinion: '限期修复' },
  reportResult: { outcome: 'resolved', summary: '已恢复' },
  recordCallback: { reached: true, contacted: true, resolved: true, satisfaction: 'satisfied' },
  orderRehandling: { reason: '不满意' },
  withdrawAppeal: { reason: '撤回' },
  mergeAppeal: { originalAppealId: 'some-original', reason: '重复' },
};

describe('references are checked before anything enters a case', () => {
  it('triage: a dispatch to an unknown unit or the hotline center, a repeat of an unknown appeal or itself', async () => {
    const id = await startCase();
    await refused('center', id, 'triage', { disposition: 'dispatch', unitId: 'no-such-unit' }, 'body/unitId');
    const res = await refused(
      'center',
      id,
      'triage',
      { disposition: 'dispatch', unitId: 'hotline-center' },
      'body/unitId',
    );
    expect(res.json<{ message: string }>().message).toContain('hotline center');
    const repeat = { disposition: 'repeat', reason: '重复诉求', answer: '已在办理' };
    await refused('center', id, 'triage', { ...repeat, originalAppealId: 'no-such-appeal' }, 'body/originalAppealId');
    await refused('center', id, 'triage', { ...repeat, originalAppealId: id }, 'body/originalAppealId');
    expect(
      (await refused('center', id, 'triage', { disposition: 'dispatch', unitId: 'no-such-unit' }, 'body/unitId')).json<{
        message: string;
      }>().message,
    ).toBe('body/unitId: unknown unit no-such-unit');
  });

  it('consultation conclusion and objection decision name an existing handling unit', async () => {
    const id = await startCase();
    for (const leadUnitId of ['no-such-unit', 'hotline-center'])
      await refused('center', id, 'consultation-conclusion', { leadUnitId, reason: '会商结论' }, 'body/leadUnitId');
    for (const newUnitId of ['no-such-unit', 'hotline-center'])
      await refused(
        'center',
        id,
        'objection-decision',
        { decision: 'redispatch', reason: '改派', newUnitId },
        'body/newUnitId',
      );
  });

  it('merge: the original must exist, be another appeal and still be open', async () => {
    const id = await startCase();
    const closed = await insertClosedAppeal();
    for (const originalAppealId of ['no-such-appeal', id, closed])
      await refused('center', id, 'merge', { originalAppealId, reason: '并单' }, 'body/originalAppealId');
    const res = await refused(
      'center',
      id,
      'merge',
      { originalAppealId: closed, reason: '并单' },
      'body/originalAppealId',
    );
    expect(res.json<{ message: string }>().message).toContain('closed');
  });

  it('a merge names its original by id or by work order number, as paths do; the case keeps the id', async () => {
    const original = await startCase();
    const duplicate = await startCase();
    const originalNo = (await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${original}` })).json<{
      workOrderNo: string;
    }>().workOrderNo;
    await refused(
      'center',
      duplicate,
      'merge',
      { originalAppealId: '19991231-000001', reason: '并单' },
      'body/originalAppealId',
    );
    const merged = await as(
      app,
      'center',
    )({
      method: 'POST',
      url: `/v1/appeals/${duplicate}/merge`,
      payload: { originalAppealId: originalNo, reason: '并单' },
    });
    expect(merged.statusCode, merged.body).toBe(200);
    expect(merged.json<{ originalAppealId: string }>().originalAppealId).toBe(original);
  });

  it("the lead unit's co-handler, whistle and coordination request must name units that fit", async () => {
    const id = await startHandledCase();
    for (const unitId of ['no-such-unit', 'hotline-center'])
      await refused('water', id, 'co-handlers', { unitId, task: '核查' }, 'body/unitId');

    const whistle = (departmentIds: string[]) => ({ departmentIds, reason: '占道经营' });
    // A street or a government is not summoned by the whistle; the field names the offending entry.
    await refused(
      'water',
      id,
      'whistle',
      whistle(['chaoyang-urban-enforcement', 'chaoyang-jianwai']),
      'body/departmentIds/1',
    );
    await refused('water', id, 'whistle', whistle(['chaoyang-gov']), 'body/departmentIds/0');
    await refused(
      'water',
      id,
      'whistle',
      whistle(['city-housing', 'beijing-water', 'no-such']),
      'body/departmentIds/2',
    );

    // Coordinators are district governments, sector authorities or the city joint office.
    for (const coordinatorId of ['no-such-unit', 'beijing-water', 'city-housing', 'chaoyang-jianwai'])
      await refused('water', id, 'coordination-request', { coordinatorId, reason: '需协调' }, 'body/coordinatorId');
    // A district government coordinates its own district's appeals (this one lies in Chaoyang).
    const haidian = await refused(
      'water',
      id,
      'coordination-request',
      { coordinatorId: 'haidian-gov', reason: '需协调' },
      'body/coordinatorId',
    );
    expect(haidian.json<{ message: string }>().message).toBe(
      'body/coordinatorId: haidian-gov governs district haidian; this appeal lies in chaoyang',
    );
    // The central/military liaison forwards matters at triage; it neither co-handles nor takes a re-dispatch.
    await refused(
      'center',
      id,
      'objection-decision',
      { decision: 'redispatch', reason: '改派', newUnitId: 'central-military-liaison' },
      'body/newUnitId',
    );
    await refused('water', id, 'co-handlers', { unitId: 'central-military-liaison', task: '核查' }, 'body/unitId');
    // A consultation opinion's proposed lead is a unit of the directory.
    await refused(
      'water',
      id,
      'consultation-opinion',
      { opinion: '建议由区里牵头', proposedLeadUnitId: 'no-such-unit' },
      'body/proposedLeadUnitId',
    );
  });

  it("a coordination request names a sector authority only of the appeal's sector, as the escalation picks it", async () => {
    const id = await startHandledCase();
    // A water outage: sector-water covers utilities.water, sector-energy power, gas and heating.
    const energy = await refused(
      'water',
      id,
      'coordination-request',
      { coordinatorId: 'sector-energy', reason: '需协调' },
      'body/coordinatorId',
    );
    expect(energy.json<{ message: string }>().message).toBe(
      'body/coordinatorId: sector-energy does not cover utilities.water.outage',
    );
    const water = await as(
      app,
      'water',
    )({
      method: 'POST',
      url: `/v1/appeals/${id}/coordination-request`,
      payload: { coordinatorId: 'sector-water', reason: '需协调' },
    });
    expect(water.statusCode, water.body).toBe(200);
  });

  it("a lead is a Beijing unit, and a district government, street or township only of the appeal's district, however it is named", async () => {
    const id = await startCase();
    // The water outage lies in Chaoyang: Haidian's government neither leads nor takes it over.
    const triage = await refused(
      'center',
      id,
      'triage',
      { disposition: 'dispatch', unitId: 'haidian-gov' },
      'body/unitId',
    );
    expect(triage.json<{ message: string }>().message).toBe(
      'body/unitId: haidian-gov governs district haidian; this appeal lies in chaoyang',
    );
    await refused(
      'center',
      id,
      'consultation-conclusion',
      { leadUnitId: 'haidian-gov', reason: '会商结论' },
      'body/leadUnitId',
    );
    await refused(
      'center',
      id,
      'objection-decision',
      { decision: 'redispatch', reason: '改派', newUnitId: 'haidian-gov' },
      'body/newUnitId',
    );
    // Nor does a street or township of another district: its district government would supervise
    // the case and take its escalation.
    const street = await refused(
      'center',
      id,
      'triage',
      { disposition: 'dispatch', unitId: 'haidian-zhongguancun' },
      'body/unitId',
    );
    expect(street.json<{ message: string }>().message).toBe(
      'body/unitId: haidian-zhongguancun is a street of district haidian; this appeal lies in chaoyang',
    );
    await refused(
      'center',
      id,
      'objection-decision',
      { decision: 'redispatch', reason: '改派', newUnitId: 'haidian-zhongguancun' },
      'body/newUnitId',
    );
    // The central/military liaison is reached by a central matter's category, never named as a lead.
    const liaison = await refused(
      'center',
      id,
      'triage',
      { disposition: 'dispatch', unitId: 'central-military-liaison' },
      'body/unitId',
    );
    expect(liaison.json<{ message: string }>().message).toContain('central/military liaison');
    await refused(
      'center',
      id,
      'consultation-conclusion',
      { leadUnitId: 'central-military-liaison', reason: '会商结论' },
      'body/leadUnitId',
    );
    // The government of its own district takes it.
    const own = await as(
      app,
      'center',
    )({
      method: 'POST',
      url: `/v1/appeals/${id}/triage`,
      payload: { disposition: 'dispatch', unitId: 'chaoyang-gov' },
    });
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json<{ leadUnitId: string }>().leadUnitId).toBe('chaoyang-gov');
  });

  it('an unreached callback carries no answers: each is refused naming the first one sent', async () => {
    const id = await startCase();
    for (const path of ['callback', 'callback-answers']) {
      const all = await refused(
        'center',
        id,
        path,
        { reached: false, contacted: true, resolved: true, satisfaction: 'satisfied' },
        'body/contacted',
      );
      expect(all.json<{ message: string }>().message).toContain('only with reached true');
      await refused('center', id, path, { reached: false, satisfaction: 'unsatisfied' }, 'body/satisfaction');
      await refused('center', id, path, { reached: false, resolved: false, channel: 'phone' }, 'body/resolved');
    }
  });

  it('names the field of a co-handler that is the lead, a re-dispatch to the objecting unit and a repeat without its original', async () => {
    const handled = await startHandledCase();
    const own = await refused(
      'water',
      handled,
      'co-handlers',
      { unitId: 'beijing-water', task: '核查' },
      'body/unitId',
    );
    expect(own.json<{ message: string }>().message).toContain('cannot be its own co-handler');

    const objected = await startCase();
    const center = as(app, 'center');
    const water = as(app, 'water');
    for (const [caller, path, payload] of [
      [center, 'triage', { disposition: 'dispatch' }],
      [water, 'object', { reason: '不属本单位职责' }],
    ] as const) {
      const res = await caller({ method: 'POST', url: `/v1/appeals/${objected}/${path}`, payload });
      expect(res.statusCode, `${path}: ${res.body}`).toBe(200);
    }
    await refused(
      'center',
      objected,
      'objection-decision',
      { decision: 'redispatch', reason: '改派', newUnitId: 'beijing-water' },
      'body/newUnitId',
    );

    const repeat = await refused(
      'center',
      await startCase(),
      'triage',
      { disposition: 'repeat', reason: '重复诉求', answer: '已在办理' },
      'body/originalAppealId',
    );
    expect(repeat.json<{ message: string }>().message).toContain('is required');
  });

  it('an upheld objection names no new unit; a triage answer cites a knowledge-base entry that exists', async () => {
    const id = await startCase();
    await refused(
      'center',
      id,
      'objection-decision',
      { decision: 'upheld', reason: '维持派单', newUnitId: 'chaoyang-chaowai' },
      'body/newUnitId',
    );
    const answer = { disposition: 'knowledge_answer', reason: '知识库解答', answer: '请留意物业通知' };
    await refused('center', id, 'triage', { ...answer, knowledgeEntryId: 'no-such-entry' }, 'body/knowledgeEntryId');
    const cited = await as(
      app,
      'center',
    )({
      method: 'POST',
      url: `/v1/appeals/${id}/triage`,
      payload: { ...answer, knowledgeEntryId: 'kb-water-outage-notice' },
    });
    expect(cited.statusCode, cited.body).toBe(200);
  });

  it("the workflow's own refusals of an input name its field too", async () => {
    const id = await startCase();
    const closing = { reason: '紧急情况', answer: '已转相关部门' };
    const noNumber = await refused(
      'center',
      id,
      'triage',
      { disposition: 'emergency_transfer', ...closing },
      'body/emergencyNumber',
    );
    expect(noNumber.json<{ message: string }>().message).toContain('emergencyNumber (110/119/120/122) is required');
    await refused('center', id, 'triage', { disposition: 'repeat', ...closing }, 'body/originalAppealId');
    // A field of another disposition would go nowhere: refused, naming it.
    const misplaced = await refused(
      'center',
      id,
      'triage',
      { disposition: 'admonished', ...closing, emergencyNumber: '110' },
      'body/emergencyNumber',
    );
    expect(misplaced.json<{ message: string }>().message).toBe(
      'body/emergencyNumber: belongs to disposition emergency_transfer, not admonished',
    );
    await refused(
      'center',
      id,
      'triage',
      { disposition: 'explained', ...closing, originalAppealId: id },
      'body/originalAppealId',
    );
  });

  it('a closing triage is refused for what its own disposition lacks, naming that field', async () => {
    const id = await startCase();
    const res = await refused('center', id, 'triage', { disposition: 'explained', answer: '已解释' }, 'body/reason');
    expect(res.json<{ message: string }>().message).toBe("body/reason: must have required property 'reason'");
    const blank = await refused(
      'center',
      id,
      'triage',
      { disposition: 'explained', reason: '   ', answer: '已解释' },
      'body/reason',
    );
    expect(blank.json<{ message: string }>().message).toBe('body/reason: must not be blank');
    const unknown = await refused('center', id, 'triage', { disposition: 'shelved' }, 'body/disposition');
    expect(unknown.json<{ message: string }>().message).toBe(
      'body/disposition: must be one of "dispatch", "knowledge_answer", "emergency_transfer", "legal_channel", "repeat", "explained", "admonished", "market_referral"',
    );
  });

  it('a reached callback answers all three questions; the channel is one of the known ones', async () => {
    const id = await startCase();
    for (const path of ['callback', 'callback-answers']) {
      await refused('center', id, path, { reached: true }, 'body/contacted');
      await refused('center', id, path, { reached: true, contacted: true }, 'body/resolved');
      await refused('center', id, path, { reached: true, contacted: true, resolved: false }, 'body/satisfaction');
      const fax = await refused(
        'center',
        id,
        path,
        { reached: true, contacted: true, resolved: true, satisfaction: 'satisfied', channel: 'fax' },
        'body/channel',
      );
      // The refusal lists the values allowed, not "must be equal to constant".
      expect(fax.json<{ message: string }>().message).toBe(
        `body/channel: must be one of ${CALLBACK_CHANNELS.map((c) => `"${c}"`).join(', ')}`,
      );
      await refused('center', id, path, { reached: 'maybe' }, 'body/reached');
    }
  });

  it('keeps the precedence: 403 for the role, then 404 for a case out of sight, then 400', async () => {
    const id = await startHandledCase();
    const before = await messagesIn(id);
    const post = (caller: Caller, appealId: string, path: string, payload: object) =>
      as(app, caller)({ method: 'POST', url: `/v1/appeals/${appealId}/${path}`, payload });

    // A unit never triages; the center never adds co-handlers (the lead unit does).
    expect((await post('water', id, 'triage', { disposition: 'dispatch', unitId: 'no-such-unit' })).statusCode).toBe(
      403,
    );
    expect((await post('center', id, 'co-handlers', { unitId: 'no-such-unit', task: 'x' })).statusCode).toBe(403);
    expect((await post('admin', id, 'coordination-request', { coordinatorId: 'x', reason: 'x' })).statusCode).toBe(403);
    // Another unit cannot tell the case exists, whatever its body.
    expect((await post('jianwai', id, 'co-handlers', { unitId: 'no-such-unit', task: 'x' })).statusCode).toBe(404);
    // An unknown appeal is a 404 before its references are looked at.
    const ghost = uniqueId('no-such-appeal');
    expect(
      (await post('center', ghost, 'triage', { disposition: 'dispatch', unitId: 'no-such-unit' })).statusCode,
    ).toBe(404);
    expect((await post('center', ghost, 'merge', { originalAppealId: id, reason: 'x' })).statusCode).toBe(404);
    expect(await messagesIn(id)).toEqual(before);
  });

  it("answers each action's role gate exactly as the rules table's rolesFor", async () => {
    const ghost = uniqueId('no-such-appeal');
    const callers: Caller[] = ['intake', 'center', 'admin', 'supervisor', 'water', 'coordinator'];
    const routes = [
      ...(Object.keys(ACTION_RULES) as ActionName[]).map((action) => ({
        action,
        path: ACTION_RULES[action].path,
      })),
      { action: 'recordCallback' as const, path: 'callback-answers' },
    ];
    const answered: string[] = [];
    const expected: string[] = [];
    for (const { action, path } of routes)
      for (const caller of callers) {
        const res = await as(
          app,
          caller,
        )({ method: 'POST', url: `/v1/appeals/${ghost}/${path}`, payload: VALID_BODIES[action] });
        const allowed = (rolesFor(action) as string[]).includes(TEST_KEYS[caller].role);
        // Past the role gate, an unknown appeal is a 404 for everyone.
        answered.push(`${path} ${caller} ${res.statusCode}`);
        expected.push(`${path} ${caller} ${allowed ? 404 : 403}`);
      }
    expect(answered).toEqual(expected);
  });
});

describe('a work order is refused when its place or instant does not fit', () => {
  async function neverStarted(appealId: string): Promise<void> {
    await expect(world.env.client.workflow.getHandle(appealWorkflowId(appealId)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  }

  it('refuses a street outside the given district', async () => {
    const externalId = uniqueId('wrong-district');
    const res = await as(
      app,
      'intake',
    )({
      method: 'POST',
      url: '/v1/appeals',
      payload: { ...waterOutage(externalId), districtId: 'haidian', streetId: 'chaoyang-jianwai' },
    });
    expectRefusal(res, 'body/streetId');
    await neverStarted(externalId);
  });

  it('refuses an intake instant in the future, beyond two minutes of clock skew', async () => {
    const externalId = uniqueId('future');
    const res = await as(
      app,
      'intake',
    )({
      method: 'POST',
      url: '/v1/appeals',
      payload: { ...waterOutage(externalId), receivedAt: new Date(Date.now() + 10 * 60_000).toISOString() },
    });
    expectRefusal(res, 'body/receivedAt');
    await neverStarted(externalId);

    const skewed = await as(
      app,
      'intake',
    )({
      method: 'POST',
      url: '/v1/appeals',
      payload: { ...waterOutage(uniqueId('skewed')), receivedAt: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(skewed.statusCode, skewed.body).toBe(201);
  });

  it('refuses an intake instant over 30 days ago, a group of categories, blank content and a phone that is no number', async () => {
    const cases: [object, string][] = [
      [{ receivedAt: '1970-01-01T00:00:00Z' }, 'body/receivedAt'],
      [{ receivedAt: new Date(Date.now() - 31 * 86_400_000).toISOString() }, 'body/receivedAt'],
      [{ categoryCode: 'utilities.water' }, 'body/categoryCode'],
      [{ categoryCode: 'utilities' }, 'body/categoryCode'],
      [{ content: '   ' }, 'body/content'],
      [{ requester: { name: '张三', phone: '---' } }, 'body/requester/phone'],
      [{ requester: { name: '张三', phone: '1234' } }, 'body/requester/phone'],
      [{ requester: { name: '张三', phone: '1        0' } }, 'body/requester/phone'],
      [{ requester: { name: '张三', phone: '1-------0' } }, 'body/requester/phone'],
    ];
    for (const [change, field] of cases) {
      const externalId = uniqueId('implausible');
      const res = await as(
        app,
        'intake',
      )({ method: 'POST', url: '/v1/appeals', payload: { ...waterOutage(externalId), ...change } });
      expectRefusal(res, field);
      await neverStarted(externalId);
    }
    const blank = await as(
      app,
      'intake',
    )({ method: 'POST', url: '/v1/appeals', payload: { ...waterOutage(), content: ' \n ' } });
    expect(blank.json<{ message: string }>().message).toBe('body/content: must not be blank');
    // Invisible characters alone are blank too; beside visible text they are text.
    for (const [field, payload] of [
      ['body/content', { ...waterOutage(), content: '\u200b\u200b' }],
      ['body/requester/name', { ...waterOutage(), requester: { name: '\u200b\ufeff', phone: '13900000000' } }],
    ] as const) {
      const invisible = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload });
      expect(invisible.json<{ message: string }>().message).toBe(`${field}: must not be blank`);
    }
    const joined = { ...waterOutage(), content: '小区\u200b停水' };
    expect((await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: joined })).statusCode).toBe(201);
    // A call taken yesterday and a landline with its area code are what intake records every day.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const landline = { ...waterOutage(), receivedAt: yesterday, requester: { name: '张三', phone: '010-6512 3456' } };
    expect((await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: landline })).statusCode).toBe(201);
  });

  it("fills a street-only appeal's district from the street, so lists by district find it", async () => {
    const order: Partial<ReturnType<typeof waterOutage>> = waterOutage();
    delete order.districtId;
    const id = await startCase({
      ...order,
      categoryCode: 'urban.road_damage',
      content: '路面塌陷',
      streetId: 'chaoyang-jianwai',
    });
    const listed = await as(app, 'center')({ method: 'GET', url: '/v1/appeals?districtId=chaoyang&limit=200' });
    expect(listed.statusCode, listed.body).toBe(200);
    const item = listed
      .json<{ items: { appealId: string; districtId: string | null }[] }>()
      .items.find((i) => i.appealId === id);
    expect(item).toMatchObject({ appealId: id, districtId: 'chaoyang' });
  });
});
