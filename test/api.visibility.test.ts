/**
 * Who sees what of a case, over HTTP against the real servers: the work order reaches every
 * party of the case, the requester's contact only the center and the lead unit in clear, lists
 * and inboxes carry the content's first line and never the contact. The table itself and the
 * masking are checked directly too.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startApiWorld, TEST_KEYS, type ApiWorld } from './support/api.js';
import { hashApiKey, type Principal, type Role } from '../api/plugins/auth.js';
import {
  contentFirstLine,
  maskName,
  maskPhone,
  relationshipsOf,
  RELATIONSHIPS,
  sightOf,
  VISIBILITY,
  type CaseParties,
} from '../api/visibility.js';
import type { ApiCase } from '../api/routes/v1/cases.js';
import type { AppealCase } from '../domain/appeal.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';

/** The shared test keys, the street that leads the case and the district government that supervises it. */
const KEYS = {
  ...TEST_KEYS,
  sanlitun: { key: 'test-unit-chaoyang-sanlitun-key', role: 'unit', unitId: 'chaoyang-sanlitun' },
  gov: { key: 'test-unit-chaoyang-gov-key', role: 'unit', unitId: 'chaoyang-gov' },
  haidianGov: { key: 'test-coordinator-haidian-gov-key', role: 'coordinator', unitId: 'haidian-gov' },
} satisfies Record<string, { key: string; role: Role; unitId?: string }>;
type Caller = keyof typeof KEYS;
const API_KEYS = JSON.stringify(
  Object.entries(KEYS).map(([name, k]) => ({
    name,
    keyHash: hashApiKey(k.key),
    role: k.role,
    ...('unitId' in k ? { unitId: k.unitId } : {}),
  })),
);

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-api-visibility`);
  app = await world.buildApi({ API_KEYS });
});
afterAll(async () => {
  await app?.close();
  await world?.close();
  await database?.drop();
});

const as = (caller: Caller) => (options: InjectOptions) =>
  app.inject({ ...options, headers: { authorization: `Bearer ${KEYS[caller].key}`, ...options.headers } });

const PHONE = '13700000000';
const CONTENT = '三里屯街道某小区楼下酒吧深夜噪音扰民\n每晚十一点后音响很大，多次沟通无果，请尽快处理';
const noiseAppeal = () => ({
  channel: 'phone',
  appealType: 'complaint',
  categoryCode: 'environment.noise',
  content: CONTENT,
  districtId: 'chaoyang',
  streetId: 'chaoyang-sanlitun',
  address: '工人体育场北路8号院',
  requester: { name: '王五', phone: PHONE },
});

interface CaseView {
  appealId: string;
  stage: string;
  leadUnitId?: string;
  supervisingUnitIds: string[];
  triageHints?: unknown;
  workOrder?: {
    channel: string;
    appealType: string;
    categoryCode: string;
    content: string;
    address?: string;
    districtId?: string;
    streetId?: string;
    receivedAt: string;
    stabilityRisk: boolean;
    requester: { name?: string; phone?: string };
  };
}
interface Summaries {
  items: { appealId: string; contentFirstLine: string }[];
}

const CLEAR = { name: '王五', phone: PHONE };
const MASKED = { name: '王*', phone: '137****0000' };

/** The work order every party of the case reads, whatever it may see of the contact. */
const workOrder = (requester: { name: string; phone: string }) => ({
  channel: 'phone',
  appealType: 'complaint',
  categoryCode: 'environment.noise',
  content: CONTENT,
  address: '工人体育场北路8号院',
  districtId: 'chaoyang',
  streetId: 'chaoyang-sanlitun',
  stabilityRisk: false,
  receivedAt: expect.any(String) as string,
  attachments: [],
  requester,
});

describe('who sees what of a case, over HTTP', () => {
  let id: string;

  beforeAll(async () => {
    const start = await as('intake')({ method: 'POST', url: '/v1/appeals', payload: noiseAppeal() });
    expect(start.statusCode, start.body).toBe(201);
    const started = start.json<{ case: CaseView }>().case;
    id = started.appealId;
    // Intake recorded the appeal; its answer already shows the contact masked.
    expect(started.workOrder).toEqual(workOrder(MASKED));

    const triaged = await as('center')({
      method: 'POST',
      url: `/v1/appeals/${id}/triage`,
      payload: { disposition: 'dispatch' },
    });
    expect(triaged.statusCode, triaged.body).toBe(200);
    const dispatched = triaged.json<CaseView>();
    expect(dispatched).toMatchObject({ leadUnitId: 'chaoyang-sanlitun', supervisingUnitIds: ['chaoyang-gov'] });
    // An action's answer is presented like a read: the center calls the requester back, so in clear.
    expect(dispatched.workOrder).toEqual(workOrder(CLEAR));
  });

  const read = async (caller: Caller) => {
    const res = await as(caller)({ method: 'GET', url: `/v1/appeals/${id}` });
    return { status: res.statusCode, body: res.body, view: res.json<CaseView>() };
  };

  it.each([
    ['center', CLEAR],
    ['admin', CLEAR],
    ['sanlitun', CLEAR],
    ['supervisor', MASKED],
    ['intake', MASKED],
    ['gov', MASKED],
    ['coordinator', MASKED],
  ] as [Caller, typeof CLEAR][])('%s reads the work order with the contact as the table says', async (caller, who) => {
    const { status, body, view } = await read(caller);
    expect(status, body).toBe(200);
    expect(view.workOrder).toEqual(workOrder(who));
    if (who === MASKED) expect(body).not.toContain(PHONE);
  });

  it("shows the center's triage hints (which name other appeals) to the center, admin and supervisors only", async () => {
    for (const caller of ['center', 'admin', 'supervisor'] as const)
      expect((await read(caller)).view.triageHints, caller).toBeDefined();
    for (const caller of ['sanlitun', 'gov', 'coordinator', 'intake'] as const) {
      const { status, view } = await read(caller);
      expect(status).toBe(200);
      expect(view.triageHints, caller).toBeUndefined();
    }
  });

  it('answers 404 to a unit outside the case, as if it did not exist', async () => {
    // Another street of the same district, and a city-wide enterprise.
    for (const caller of ['jianwai', 'water'] as const) {
      const { status, body } = await read(caller);
      expect(status).toBe(404);
      expect(body).not.toContain(PHONE);
    }
  });

  it("gives the lead unit's own action the contact in clear", async () => {
    const accepted = await as('sanlitun')({ method: 'POST', url: `/v1/appeals/${id}/accept`, payload: {} });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json<CaseView>()).toMatchObject({ stage: 'handling', workOrder: workOrder(CLEAR) });
  });

  it("a duplicate merged into the case is the original's lead's to read, contact in clear: it answers that requester too", async () => {
    const start = await as('intake')({ method: 'POST', url: '/v1/appeals', payload: noiseAppeal() });
    expect(start.statusCode, start.body).toBe(201);
    const duplicate = start.json<{ case: CaseView }>().case.appealId;
    expect((await as('sanlitun')({ method: 'GET', url: `/v1/appeals/${duplicate}` })).statusCode).toBe(404);
    const merged = await as('center')({
      method: 'POST',
      url: `/v1/appeals/${duplicate}/merge`,
      payload: { originalAppealId: id, reason: '同一酒吧噪音，并单' },
    });
    expect(merged.statusCode, merged.body).toBe(200);
    const res = await as('sanlitun')({ method: 'GET', url: `/v1/appeals/${duplicate}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<CaseView>().workOrder).toEqual(workOrder(CLEAR));
    // Nobody else gains sight of it: another street, and the original's supervising government.
    for (const caller of ['jianwai', 'gov'] as const)
      expect((await as(caller)({ method: 'GET', url: `/v1/appeals/${duplicate}` })).statusCode, caller).toBe(404);
  });

  it("lists and inboxes carry the content's first line, never the contact", async () => {
    const firstLine = '三里屯街道某小区楼下酒吧深夜噪音扰民';
    const lists = [
      await as('center')({ method: 'GET', url: '/v1/appeals?categoryCode=environment.noise' }),
      await as('sanlitun')({ method: 'GET', url: '/v1/appeals' }),
      await as('gov')({ method: 'GET', url: '/v1/appeals' }),
      await as('sanlitun')({ method: 'GET', url: '/v1/units/chaoyang-sanlitun/inbox' }),
      await as('center')({ method: 'GET', url: '/v1/units/chaoyang-gov/inbox' }),
    ];
    for (const res of lists) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<Summaries>().items.find((i) => i.appealId === id)?.contentFirstLine, res.body).toBe(firstLine);
      for (const secret of [PHONE, '137****0000', '王五', 'requester']) expect(res.body).not.toContain(secret);
    }
  });
});

describe('a stability risk, pushed to its district government at intake (Art. 11)', () => {
  let risk: string;
  let ordinary: string;

  beforeAll(async () => {
    // Still in triage: no unit is involved yet, the district government was told all the same.
    const flagged = await as('intake')({
      method: 'POST',
      url: '/v1/appeals',
      payload: { ...noiseAppeal(), stabilityRisk: true },
    });
    expect(flagged.statusCode, flagged.body).toBe(201);
    risk = flagged.json<{ case: CaseView }>().case.appealId;
    const plain = await as('intake')({ method: 'POST', url: '/v1/appeals', payload: noiseAppeal() });
    expect(plain.statusCode, plain.body).toBe(201);
    ordinary = plain.json<{ case: CaseView }>().case.appealId;
  });

  it("is read by the government of the appeal's district, the contact masked, and the read is audited", async () => {
    for (const caller of ['coordinator', 'gov'] as const) {
      const res = await as(caller)({
        method: 'GET',
        url: `/v1/appeals/${risk}`,
        headers: { 'x-request-id': `stability-${caller}` },
      });
      expect(res.statusCode, `${caller}: ${res.body}`).toBe(200);
      const view = res.json<CaseView>();
      expect(view).toMatchObject({ appealId: risk, stage: 'triage', stabilityRisk: true });
      expect(view.workOrder).toEqual({ ...workOrder(MASKED), stabilityRisk: true });
      expect(view.triageHints, caller).toBeUndefined();
      expect(res.body).not.toContain(PHONE);
    }
    const audit = await as('supervisor')({ method: 'GET', url: `/v1/read-audit?appealId=${risk}` });
    const rows = audit
      .json<{ items: { keyName: string; unitId: string; fields: string[]; route: string; requestId: string }[] }>()
      .items.filter((e) => e.requestId.startsWith('stability-'));
    expect(rows.map((e) => [e.keyName, e.unitId, e.fields, e.route])).toEqual([
      ['gov', 'chaoyang-gov', ['content'], 'GET /v1/appeals/:id'],
      ['coordinator', 'chaoyang-gov', ['content'], 'GET /v1/appeals/:id'],
    ]);
  });

  it("is no one else's: another district's government, a street of the district; an appeal without the flag stays unseen", async () => {
    for (const caller of ['haidianGov', 'jianwai'] as const) {
      const res = await as(caller)({ method: 'GET', url: `/v1/appeals/${risk}` });
      expect(res.statusCode, caller).toBe(404);
      expect(res.body).not.toContain(PHONE);
    }
    expect((await as('coordinator')({ method: 'GET', url: `/v1/appeals/${ordinary}` })).statusCode).toBe(404);
  });

  it("is in that government's inbox and list, in no other's", async () => {
    const ids = async (caller: Caller, url: string) => {
      const res = await as(caller)({ method: 'GET', url });
      expect(res.statusCode, `${caller} ${url}: ${res.body}`).toBe(200);
      return res.json<Summaries>().items.map((i) => i.appealId);
    };
    for (const [caller, url] of [
      ['coordinator', '/v1/units/chaoyang-gov/inbox'],
      ['coordinator', '/v1/appeals'],
      ['gov', '/v1/appeals?stage=triage'],
      ['center', '/v1/appeals?unitId=chaoyang-gov'],
    ] as [Caller, string][]) {
      const listed = await ids(caller, url);
      expect(listed, `${caller} ${url}`).toContain(risk);
      expect(listed, `${caller} ${url}`).not.toContain(ordinary);
    }
    expect(await ids('haidianGov', '/v1/units/haidian-gov/inbox')).not.toContain(risk);
    expect(await ids('haidianGov', '/v1/appeals')).not.toContain(risk);
    expect(await ids('jianwai', '/v1/appeals')).not.toContain(risk);
  });

  it('is read only: dispatched elsewhere, the government still reads it, and the case refuses its action', async () => {
    // A city-wide enterprise leads: no street, so the district government supervises nothing here.
    const dispatched = await as('center')({
      method: 'POST',
      url: `/v1/appeals/${risk}/triage`,
      payload: { disposition: 'dispatch', unitId: 'beijing-water' },
    });
    expect(dispatched.statusCode, dispatched.body).toBe(200);
    expect(dispatched.json<CaseView>()).toMatchObject({ leadUnitId: 'beijing-water', supervisingUnitIds: [] });
    const read = await as('coordinator')({ method: 'GET', url: `/v1/appeals/${risk}` });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json<CaseView>().workOrder?.requester).toEqual(MASKED);

    const accept = await as('gov')({ method: 'POST', url: `/v1/appeals/${risk}/accept`, payload: {} });
    expect(accept.statusCode, accept.body).toBe(403);
    expect(accept.json()).toMatchObject({ code: 'ActionForbidden' });
    expect((await as('center')({ method: 'GET', url: `/v1/appeals/${risk}` })).json<CaseView>()).toMatchObject({
      stage: 'awaiting_acceptance',
      leadUnitId: 'beijing-water',
    });
  });
});

describe('the visibility table', () => {
  const unit = (unitId: string, role: 'unit' | 'coordinator' = 'unit'): Principal => ({ name: unitId, role, unitId });
  const c: CaseParties = {
    involvedUnitIds: ['lead', 'gov', 'co', 'dept', 'asked', 'escalated', 'candidate', 'liaison', 'old'],
    leadUnitId: 'lead',
    supervisingUnitIds: ['gov'],
    coHandlers: [{ unitId: 'co' }],
    whistle: { departments: [{ unitId: 'dept' }] },
    coordination: { coordinatorId: 'asked' },
    escalations: [{ coordinatorId: 'escalated' }],
    consultation: { candidateUnitIds: ['candidate'] },
    forwarding: { liaisonUnitId: 'liaison' },
  };

  it('names each part a caller has in the case', () => {
    expect(relationshipsOf({ name: 'c', role: 'center' }, c)).toEqual(['center']);
    expect(relationshipsOf({ name: 'a', role: 'admin' }, c)).toEqual(['admin']);
    expect(relationshipsOf({ name: 's', role: 'supervisor' }, c)).toEqual(['supervisor']);
    expect(relationshipsOf({ name: 'i', role: 'intake' }, c)).toEqual(['intake']);
    expect(relationshipsOf(unit('lead'), c)).toEqual(['lead']);
    expect(relationshipsOf(unit('gov'), c)).toEqual(['supervisingGovernment']);
    expect(relationshipsOf(unit('co'), c)).toEqual(['coHandler']);
    expect(relationshipsOf(unit('dept'), c)).toEqual(['summonedDepartment']);
    expect(relationshipsOf(unit('asked', 'coordinator'), c)).toEqual(['coordinator']);
    expect(relationshipsOf(unit('escalated', 'coordinator'), c)).toEqual(['coordinator']);
    expect(relationshipsOf(unit('candidate'), c)).toEqual(['consultationCandidate']);
    expect(relationshipsOf(unit('liaison'), c)).toEqual(['liaison']);
    expect(relationshipsOf(unit('old'), c)).toEqual(['otherInvolved']);
    expect(relationshipsOf(unit('elsewhere'), c)).toEqual(['uninvolved']);
    // The district government told of a stability risk (Art. 11), by a unit key or a coordinator key.
    for (const role of ['unit', 'coordinator'] as const)
      expect(relationshipsOf(unit('district-gov', role), { ...c, stabilityGovernmentId: 'district-gov' })).toEqual([
        'stabilityGovernment',
      ]);
    expect(sightOf(unit('district-gov'), { ...c, stabilityGovernmentId: 'district-gov' })).toEqual({
      case: true,
      workOrder: true,
      contactInClear: false,
      triageHints: false,
    });
    // A coordinator key of the lead's unit speaks as the coordinator, not as the lead.
    expect(relationshipsOf(unit('lead', 'coordinator'), c)).toEqual(['otherInvolved']);
  });

  it('gives the contact in clear only to the center, admin and the lead; nothing to a unit outside', () => {
    const clear = RELATIONSHIPS.filter((r) => VISIBILITY[r].contactInClear);
    expect(clear).toEqual(['center', 'admin', 'lead', 'originalLead']);
    expect(RELATIONSHIPS.filter((r) => !VISIBILITY[r].case)).toEqual(['uninvolved']);
    // Whoever sees the case sees its work order.
    for (const r of RELATIONSHIPS) expect(VISIBILITY[r].workOrder, r).toBe(VISIBILITY[r].case);
    expect(sightOf(unit('elsewhere'), c)).toEqual({
      case: false,
      workOrder: false,
      contactInClear: false,
      triageHints: false,
    });
    // The center's triage aid names other appeals: only those who see every case read it.
    expect(RELATIONSHIPS.filter((r) => VISIBILITY[r].triageHints)).toEqual(['center', 'admin', 'supervisor']);
    // A lead that is also a consultation candidate keeps what the lead sees.
    expect(sightOf(unit('lead'), { ...c, consultation: { candidateUnitIds: ['lead'] } }).contactInClear).toBe(true);
  });

  it('masks the name to its first character and the phone to its first 3 and last 4 digits', () => {
    expect(maskName('王五')).toBe('王*');
    expect(maskName('欧阳娜娜')).toBe('欧*');
    expect(maskName('王')).toBe('*');
    expect(maskPhone('13700000000')).toBe('137****0000');
    expect(maskPhone('137-0000-1234')).toBe('137****1234');
    expect(maskPhone('110')).toBe('****');
  });

  it('summarises the content by its first line, at most 80 characters, a mobile number in it masked', () => {
    expect(contentFirstLine('第一行\n第二行')).toBe('第一行');
    expect(contentFirstLine('\n  \r\n  停水两天  \r\n物业联系不上')).toBe('停水两天');
    expect([...contentFirstLine('噪'.repeat(200))]).toHaveLength(80);
    expect(contentFirstLine('请回电13911112222，谢谢')).toBe('请回电139****2222，谢谢');
    expect(contentFirstLine('订单号 2026112300012345678')).toBe('订单号 2026112300012345678');
  });

  it('lists every field of the domain case in the response schema (Fastify drops unlisted ones)', () => {
    expectTypeOf<Exclude<keyof AppealCase, keyof ApiCase>>().toEqualTypeOf<never>();
  });
});
