/**
 * The requester's status route (Art. 7, 9(3)): with the token the start answered and no API key,
 * the requester reads the stage, the unit in charge, the deadline and the answers given to them,
 * and nothing else; a wrong token and an unknown appeal are the same 404.
 */
import { beijingTimeText } from '../domain/requesterMessages.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, waterOutage, type ApiWorld } from './support/api.js';
import { appealWorkflowId, TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { notificationsIn } from './harness/scenario.js';
import { DEV_REQUESTER_TOKEN_SECRET, requesterTokens } from '../api/requesterToken.js';

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-requester-status`);
  app = world.app;
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

interface Status {
  appealId: string;
  workOrderNo: string | null;
  stage: string;
  stageText: string;
  closed: boolean;
  unitInCharge: { name: string } | null;
  deadline: string | null;
  answers: { kind: string; at: string | null; text: string }[];
}

const STATUS_KEYS = [
  'answers',
  'appealId',
  'closed',
  'deadline',
  'receivedAt',
  'stage',
  'stageText',
  'unitInCharge',
  'workOrderNo',
].sort();

async function start(payload = waterOutage()): Promise<{ id: string; token: string }> {
  const res = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ case: { appealId: string }; requesterToken: string }>();
  // Derived from the appeal id under the (development) secret: what the requester is told.
  expect(body.requesterToken).toBe(requesterTokens(DEV_REQUESTER_TOKEN_SECRET).issue(body.case.appealId));
  return { id: body.case.appealId, token: body.requesterToken };
}

const status = (ref: string, token?: string, how: 'header' | 'query' = 'header') =>
  app.inject({
    method: 'GET',
    url: `/v1/status/${ref}${token && how === 'query' ? `?token=${encodeURIComponent(token)}` : ''}`,
    headers: token && how === 'header' ? { 'x-requester-token': token } : {},
  });

const act = (caller: 'center' | 'water' | 'intake', id: string, action: string, payload: object) =>
  as(app, caller)({ method: 'POST', url: `/v1/appeals/${id}/${action}`, payload });

describe('GET /v1/status/:ref', () => {
  it('answers the stage, the unit in charge, the deadline and the answers, and nothing personal', async () => {
    const { id, token } = await start();
    const fresh = await status(id, token);
    expect(fresh.statusCode, fresh.body).toBe(200);
    const body = fresh.json<Status>();
    expect(Object.keys(body).sort()).toEqual(STATUS_KEYS);
    expect(body).toMatchObject({
      appealId: id,
      stage: 'triage',
      stageText: '热线中心正在研判您的诉求',
      closed: false,
      unitInCharge: { name: '北京市民热线服务中心（12345）' },
      deadline: null,
      answers: [],
    });
    // Neither the contact nor the content: the requester knows them, anyone holding a leaked token must not learn them.
    expect(fresh.body).not.toContain('13900000000');
    expect(fresh.body).not.toContain('张三');
    expect(fresh.body).not.toContain('小区停水');

    // The token also works in the query string, typed loosely.
    const loose = await status(id, token.toLowerCase().replace(/-/g, ''), 'query');
    expect(loose.statusCode, loose.body).toBe(200);

    expect((await act('center', id, 'triage', { disposition: 'dispatch' })).statusCode).toBe(200);
    expect((await act('water', id, 'accept', {})).statusCode).toBe(200);
    const handling = (await status(id, token)).json<Status>();
    expect(handling).toMatchObject({
      stage: 'handling',
      stageText: '承办单位正在办理',
      unitInCharge: { name: '北京市自来水集团有限责任公司' },
    });
    expect(handling.deadline).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    expect((await act('water', id, 'extension-request', { reason: '需更换主管道' })).statusCode).toBe(200);
    // A request not yet decided is the unit's and the center's business, not an answer to the requester.
    expect((await status(id, token)).json<Status>().answers).toEqual([]);
    const decided = await act('center', id, 'extension-decision', { approved: true, reason: '工程量大' });
    expect(decided.statusCode, decided.body).toBe(200);
    const extended = (await status(id, token)).json<Status>();
    expect(Date.parse(extended.deadline!)).toBeGreaterThan(Date.parse(handling.deadline!));
    expect(extended.answers).toEqual([
      {
        kind: 'extension',
        at: expect.any(String) as unknown,
        text: `办理时限延长至 ${beijingTimeText(extended.deadline!)}。理由：需更换主管道`,
      },
    ]);

    const result = await act('water', id, 'result', { outcome: 'resolved', summary: '已恢复供水' });
    expect(result.statusCode, result.body).toBe(200);
    const reported = (await status(id, token)).json<Status>();
    expect(reported.answers.map((a) => [a.kind, a.text])).toEqual([
      ['extension', `办理时限延长至 ${beijingTimeText(extended.deadline!)}。理由：需更换主管道`],
      ['result', '已解决：已恢复供水'],
    ]);
  });

  it('tells every extension granted: a second request and a re-handling round set the earlier ones aside, not away', async () => {
    const { id, token } = await start();
    expect((await act('center', id, 'triage', { disposition: 'dispatch' })).statusCode).toBe(200);
    expect((await act('water', id, 'accept', {})).statusCode).toBe(200);
    const extend = async (reason: string, decision: string): Promise<string> => {
      expect((await act('water', id, 'extension-request', { reason })).statusCode).toBe(200);
      const decided = await act('center', id, 'extension-decision', { approved: true, reason: decision });
      expect(decided.statusCode, decided.body).toBe(200);
      return decided.json<{ deadlines: { handling: string } }>().deadlines.handling;
    };
    const extensionAnswers = async () =>
      (await status(id, token))
        .json<Status>()
        .answers.filter((a) => a.kind === 'extension')
        .map((a) => a.text);

    const first = await extend('需更换主管道', '工程量大');
    const second = await extend('管材未到货', '同意再延');
    expect(Date.parse(second)).toBeGreaterThan(Date.parse(first));
    const told = [
      `办理时限延长至 ${beijingTimeText(first)}。理由：需更换主管道`,
      `办理时限延长至 ${beijingTimeText(second)}。理由：管材未到货`,
    ];
    expect(await extensionAnswers()).toEqual(told);
    // The case keeps both, each with its decision.
    const seen = await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${id}` });
    expect(seen.json()).toMatchObject({
      extension: { status: 'approved', reason: '管材未到货', decisionReason: '同意再延', extendedTo: second },
      earlierExtensions: [
        { status: 'approved', reason: '需更换主管道', decisionReason: '工程量大', extendedTo: first },
      ],
    });

    // Unsatisfied after the result: the re-handling round starts without an extension, and both stay told.
    expect((await act('water', id, 'result', { outcome: 'resolved', summary: '已恢复供水' })).statusCode).toBe(200);
    const answered = await act('center', id, 'callback', {
      reached: true,
      contacted: true,
      resolved: false,
      satisfaction: 'unsatisfied',
    });
    expect(answered.statusCode, answered.body).toBe(200);
    const rehandling = await act('center', id, 'rehandling', { reason: '水压仍不足' });
    expect(rehandling.statusCode, rehandling.body).toBe(200);
    const round = rehandling.json<{ stage: string; extension?: unknown; earlierExtensions: unknown[] }>();
    expect(round.stage).toBe('rehandling');
    expect(round.extension).toBeUndefined();
    expect(round.earlierExtensions).toHaveLength(2);
    expect(await extensionAnswers()).toEqual(told);
    // The first round's result stays told too, and so does the second's once reported.
    expect(rehandling.json<{ result?: unknown; earlierResults: { summary: string }[] }>()).toMatchObject({
      earlierResults: [{ summary: '已恢复供水' }],
    });
    expect((await act('water', id, 'result', { outcome: 'resolved', summary: '已更换加压泵' })).statusCode).toBe(200);
    const results = (await status(id, token)).json<Status>().answers.filter((a) => a.kind === 'result');
    expect(results.map((a) => a.text)).toEqual(['已解决：已恢复供水', '已解决：已更换加压泵']);

    // Unsatisfied again, re-handled a second time, then unsatisfied at the policy's cap: the case
    // closes, and a third order is refused saying why.
    const unsatisfied = { reached: true, contacted: true, resolved: false, satisfaction: 'unsatisfied' };
    expect((await act('center', id, 'callback', unsatisfied)).statusCode).toBe(200);
    expect((await act('center', id, 'rehandling', { reason: '仍有异味' })).statusCode).toBe(200);
    expect((await act('water', id, 'result', { outcome: 'resolved', summary: '已冲洗管道' })).statusCode).toBe(200);
    const last = await act('center', id, 'callback', unsatisfied);
    expect(last.json<{ stage: string }>().stage).toBe('closed');
    // Once its workflow has ended, the record answers for the case.
    await world.env.client.workflow.getHandle(appealWorkflowId(id)).result();
    const third = await act('center', id, 'rehandling', { reason: '再次办理' });
    expect(third.statusCode, third.body).toBe(409);
    // Every round's callback answer and the re-handling it led to stay told, in order.
    const rounds = (await status(id, token)).json<Status>().answers;
    expect(rounds.filter((a) => ['result', 'callback', 'rehandling'].includes(a.kind)).map((a) => a.kind)).toEqual([
      'result',
      'callback',
      'rehandling',
      'result',
      'callback',
      'rehandling',
      'result',
      'callback',
    ]);
    expect(rounds.filter((a) => a.kind === 'callback').map((a) => a.text)).toEqual(
      Array(3).fill('回访已完成，您的评价：不满意。'),
    );
    expect(rounds.find((a) => a.kind === 'rehandling')?.text).toMatch(
      /^根据您的回访意见，您的诉求将重新办理，办理时限至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）。$/,
    );
    expect(third.json<{ message: string }>().message).toMatch(
      /^rehandling is not allowed: the appeal is closed since \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）: the callback's answer was unsatisfied after 2 re-handling order\(s\), all that policy \S+ v\d+ allows$/,
    );
  });

  it('tells the triage answer of an appeal closed at triage, and a withdrawal', async () => {
    const answered = await start();
    const triaged = await act('center', answered.id, 'triage', {
      disposition: 'knowledge_answer',
      reason: '政策咨询',
      answer: '供水抢修热线 96116，预计今晚恢复',
    });
    expect(triaged.statusCode, triaged.body).toBe(200);
    expect((await status(answered.id, answered.token)).json<Status>()).toMatchObject({
      stage: 'closed',
      stageText: '已办结',
      closed: true,
      deadline: null,
      answers: [{ kind: 'triage_answer', at: expect.any(String) as unknown, text: '供水抢修热线 96116，预计今晚恢复' }],
    });

    const withdrawn = await start();
    expect((await act('intake', withdrawn.id, 'withdraw', { reason: '已自行解决' })).statusCode).toBe(200);
    const body = (await status(withdrawn.id, withdrawn.token)).json<Status>();
    expect(body).toMatchObject({ stage: 'closed', stageText: '已撤回', closed: true });
    expect(body.answers.map((a) => a.kind)).toEqual(['withdrawn']);
    // The reason given to the center stays with the center.
    expect(JSON.stringify(body)).not.toContain('已自行解决');
  });

  it("a merged appeal names the unit handling the original it continues in, and the original's number", async () => {
    const original = await start();
    expect((await act('center', original.id, 'triage', { disposition: 'dispatch' })).statusCode).toBe(200);
    const duplicate = await start({ ...waterOutage(), districtId: 'haidian' });
    const merged = await act('center', duplicate.id, 'merge', { originalAppealId: original.id, reason: '同一停水' });
    expect(merged.statusCode, merged.body).toBe(200);
    const body = (await status(duplicate.id, duplicate.token)).json<Status>();
    const originalNo = (await status(original.id, original.token)).json<Status>().workOrderNo;
    expect(body).toMatchObject({
      stage: 'closed',
      stageText: '已并入其他工单一并办理',
      unitInCharge: { name: '北京市自来水集团有限责任公司' },
    });
    // Where the original stands is this requester's progress too, read at each request.
    expect(body.answers.find((a) => a.kind === 'merged')?.text).toBe(
      `您的诉求已并入工单 ${originalNo} 一并办理，该工单目前：已派给承办单位，等待签收。`,
    );
    expect((await act('water', original.id, 'accept', {})).statusCode).toBe(200);
    const later = (await status(duplicate.id, duplicate.token)).json<Status>();
    expect(later.answers.find((a) => a.kind === 'merged')?.text).not.toContain('等待签收');
    // What the requester is sent names the original's number too (the API looks it up for the merge).
    const history = await world.env.client.workflow.getHandle(appealWorkflowId(duplicate.id)).fetchHistory();
    const told = notificationsIn(history.events ?? []).find((n) => n.to === 'requester' && n.kind === 'merged');
    expect(told?.message).toContain(`已与工单 ${originalNo} 的相同诉求并案办理`);
  });

  it("a repeat names its original's number and where the original stands, and the unit handling it (Art. 12)", async () => {
    const original = await start();
    expect((await act('center', original.id, 'triage', { disposition: 'dispatch' })).statusCode).toBe(200);
    const originalNo = (await status(original.id, original.token)).json<Status>().workOrderNo!;
    const repeat = await start();
    const triaged = await act('center', repeat.id, 'triage', {
      disposition: 'repeat',
      reason: '重复',
      answer: '您反映的问题已有工单在办理',
      originalAppealId: originalNo,
    });
    expect(triaged.statusCode, triaged.body).toBe(200);
    // What the requester is sent names the original's number (the API looks it up with the triage's checks).
    const history = await world.env.client.workflow.getHandle(appealWorkflowId(repeat.id)).fetchHistory();
    const told = notificationsIn(history.events ?? []).find((n) => n.to === 'requester' && n.kind === 'triage_answer');
    expect(told?.message).toContain(`与工单 ${originalNo} 为重复诉求`);
    const body = (await status(repeat.id, repeat.token)).json<Status>();
    expect(body).toMatchObject({ stage: 'closed', unitInCharge: { name: '北京市自来水集团有限责任公司' } });
    expect(body.answers).toEqual([
      {
        kind: 'triage_answer',
        at: expect.any(String) as unknown,
        text: `您的诉求与工单 ${originalNo} 为重复诉求，该工单目前：已派给承办单位，等待签收。答复：您反映的问题已有工单在办理`,
      },
    ]);
    // Where the original stands is read at each request: its result's outcome once reported, never its text.
    expect((await act('water', original.id, 'accept', {})).statusCode).toBe(200);
    const reported = await act('water', original.id, 'result', {
      outcome: 'resolved',
      summary: '已恢复供水，王先生家已通水',
    });
    expect(reported.statusCode, reported.body).toBe(200);
    const later = (await status(repeat.id, repeat.token)).json<Status>();
    expect(later.answers[0]?.text).toContain(
      `工单 ${originalNo} 为重复诉求，该工单目前：热线中心正在回访诉求人（已解决）`,
    );
    expect(JSON.stringify(later)).not.toContain('王先生');
  });

  it('answers a wrong token and an unknown appeal with the same 404, and a missing token with a 400', async () => {
    const one = await start();
    const other = await start();
    const wrong = await status(one.id, other.token);
    const unknown = await status('no-such-appeal', one.token);
    expect(wrong.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(wrong.json()).toEqual(unknown.json());

    // A retried start answers the same token.
    const first = await as(
      app,
      'intake',
    )({
      method: 'POST',
      url: '/v1/appeals',
      headers: { 'idempotency-key': 'status-replay' },
      payload: waterOutage(),
    });
    const replay = await as(
      app,
      'intake',
    )({
      method: 'POST',
      url: '/v1/appeals',
      headers: { 'idempotency-key': 'status-replay' },
      payload: waterOutage(),
    });
    expect([first.statusCode, replay.statusCode]).toEqual([201, 200]);
    expect(replay.json<{ requesterToken: string }>().requesterToken).toBe(
      first.json<{ requesterToken: string }>().requesterToken,
    );

    const missing = await status(one.id);
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ field: 'querystring/token' });

    // An API key is not a token: the route takes none and answers the same 400.
    const keyed = await as(app, 'center')({ method: 'GET', url: `/v1/status/${one.id}` });
    expect(keyed.statusCode).toBe(400);
  });
});
