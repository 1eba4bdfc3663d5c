/**
 * Tiered coordination (Art. 22) in real time, only over HTTP, on the dev server with policies
 * whose windows last seconds (in this file's own database): the authority a case is escalated
 * to becomes a party — it reads the case, finds it first in its inbox, answers with its own
 * coordinator key — and the case stays overdue until the unit acts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startApiWorld, until, type ApiWorld } from './support/api.js';
import { addFastPolicy, buildDevKeyApi, routeCategoryTo, withKey } from './support/fastPolicies.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { beijingTimeText } from '../domain/requesterMessages.js';

interface Escalation {
  level: number;
  cause: string;
  coordinatorId: string;
  status: string;
  reason?: string;
}
interface CaseView {
  appealId: string;
  workOrderNo?: string;
  stage: string;
  districtId?: string;
  streetId?: string;
  leadUnitId?: string;
  supervisingUnitIds: string[];
  overdue: boolean;
  overdueSince?: string;
  escalationLevel: number;
  escalations?: Escalation[];
  pendingActors?: string[];
  deadlines: Record<string, string>;
  dueAt?: string;
  timeline: { type: string; actor: string }[];
}
interface Page {
  items: {
    appealId: string;
    overdue: boolean;
    overdueSince: string | null;
    nextActor: string | null;
    pendingActors: string[];
  }[];
}
interface Delivered {
  appealId: string;
  unitId: string;
  kind: string;
  message: string;
}

/** A unit system's webhook endpoint: keeps every notification it is sent. */
class Receiver {
  readonly received: Delivered[] = [];
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Delivered);
      response.writeHead(200).end('ok');
    });
  });
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const taskQueue = `${TASK_QUEUE}-escalation`;
let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;
let receiver: Receiver;

beforeAll(async () => {
  database = await createTestDatabase();
  // Street cases: missed acceptance after ~3 s, one reminder per tier, opinions due in ~7 s.
  await addFastPolicy(database, {
    code: 'test-fast-acceptance',
    seconds: { acceptance: 3, objectionReview: 3, handling: 3, coordinationOpinion: 7 },
    reminderLimits: [1, 1, 1],
    escalationLevels: 2,
  });
  await routeCategoryTo(database, 'urban.road_damage', 'test-fast-acceptance');
  // Gas leaks: time to accept, then a handling deadline ~3 s after dispatch.
  await addFastPolicy(database, {
    code: 'test-fast-handling',
    seconds: { acceptance: 120, handling: 3, coordinationOpinion: 7 },
    reminderLimits: [1, 1, 1],
    escalationLevels: 2,
  });
  await routeCategoryTo(database, 'utilities.gas.leak', 'test-fast-handling');
  world = await startApiWorld(database, taskQueue);
  app = await buildDevKeyApi(database, taskQueue);
  receiver = new Receiver();
  await receiver.start();
});
afterAll(async () => {
  await app?.close();
  await world?.close();
  await receiver?.stop();
  await database?.drop();
});

const intake = () => withKey(app, 'dev-intake');
const center = () => withKey(app, 'dev-center');
const unit = (id: string) => withKey(app, `dev-unit-${id}`);
const coordinator = (id: string) => withKey(app, `dev-coordinator-${id}`);

/** Starts an appeal and dispatches it by the catalogue; answers the dispatched case. */
async function startDispatched(body: Record<string, unknown>): Promise<CaseView> {
  const start = await intake()('POST', '/v1/appeals', {
    channel: 'phone',
    appealType: 'complaint',
    content: '测试诉求',
    requester: { name: '王五', phone: '13700000000' },
    ...body,
  });
  expect(start.statusCode, start.body).toBe(201);
  const id = start.json<{ case: CaseView }>().case.appealId;
  const triaged = await center()('POST', `/v1/appeals/${id}/triage`, { disposition: 'dispatch' });
  expect(triaged.statusCode, triaged.body).toBe(200);
  return triaged.json<CaseView>();
}

/** The case as `call` reads it, polled until `ok` holds (the caller asserts on the last read). */
const readUntil = (call: ReturnType<typeof withKey>, id: string, ok: (c: CaseView) => boolean, timeoutMs = 15_000) =>
  until(
    async () => {
      const res = await call('GET', `/v1/appeals/${id}`);
      return res.statusCode === 200 ? res.json<CaseView>() : ({ stage: `HTTP ${res.statusCode}` } as CaseView);
    },
    ok,
    timeoutMs,
  );

const escalationTo = (c: CaseView, coordinatorId: string) =>
  c.escalations?.find((e) => e.coordinatorId === coordinatorId);

const overdueAwaitingIds = async (): Promise<string[]> => {
  const res = await center()('GET', '/v1/appeals?overdue=true&stage=awaiting_acceptance&limit=200');
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Page>().items.map((i) => i.appealId);
};

describe('escalation the escalated authority can act on (Art. 22)', () => {
  it('a street case left unaccepted escalates to its district government, which reads, finds and answers it', async () => {
    // Another case of the district government's own, waiting on it as the lead (general policy, due in hours).
    const own = await startDispatched({ categoryCode: 'other.unclassified', districtId: 'chaoyang' });
    expect(own.leadUnitId).toBe('chaoyang-gov');
    const street = await startDispatched({
      categoryCode: 'urban.road_damage',
      districtId: 'chaoyang',
      streetId: 'chaoyang-jianwai',
    });
    const id = street.appealId;
    expect(street).toMatchObject({ stage: 'awaiting_acceptance', leadUnitId: 'chaoyang-jianwai', overdue: false });
    const missed = street.deadlines.acceptance!;

    const gov = coordinator('chaoyang-gov');
    const escalated = await readUntil(gov, id, (c) => escalationTo(c, 'chaoyang-gov') !== undefined);
    expect(escalated.escalations?.[0]).toMatchObject({ level: 1, cause: 'acceptance', coordinatorId: 'chaoyang-gov' });
    expect(escalated).toMatchObject({ stage: 'awaiting_acceptance', overdue: true, overdueSince: missed });
    expect(escalated.dueAt).toBe(missed);
    expect(escalated.pendingActors).toContain('coordinator:chaoyang-gov');
    expect(escalated.timeline.map((e) => e.type)).toEqual(
      expect.arrayContaining(['acceptance_overdue', 'acceptance_reminder', 'escalated']),
    );

    // First in its inbox: it owes an opinion on it, ahead of its own case waiting on it as the lead.
    const inbox = await until(
      async () => (await gov('GET', '/v1/units/chaoyang-gov/inbox')).json<Page>(),
      (p) => p.items[0]?.appealId === id,
      5_000,
    );
    expect(inbox.items.map((i) => i.appealId).slice(0, 2)).toEqual([id, own.appealId]);
    // Each item says who owes something on it now: the government finds itself there; and since when it is overdue.
    expect(inbox.items[0]?.pendingActors).toContain('coordinator:chaoyang-gov');
    expect(inbox.items[0]).toMatchObject({ overdue: true, overdueSince: missed });
    expect(inbox.items[1]).toMatchObject({ appealId: own.appealId, overdueSince: null });

    // An authority the case was not escalated to neither reads nor answers it.
    const outsider = coordinator('haidian-gov');
    expect((await outsider('GET', `/v1/appeals/${id}`)).statusCode).toBe(404);
    const refused = await outsider('POST', `/v1/appeals/${id}/coordination-opinion`, { opinion: '不归我管' });
    expect(refused.statusCode, refused.body).toBe(404);

    expect(await overdueAwaitingIds()).toContain(id);
    const answered = await gov('POST', `/v1/appeals/${id}/coordination-opinion`, {
      opinion: '请建外街道立即签收并修复路面',
    });
    expect(answered.statusCode, answered.body).toBe(200);
    const afterOpinion = answered.json<CaseView>();
    expect(escalationTo(afterOpinion, 'chaoyang-gov')?.status).toBe('answered');
    expect(afterOpinion.pendingActors).not.toContain('coordinator:chaoyang-gov');
    // The opinion does not accept the order: the case is overdue until the unit accepts.
    expect(afterOpinion).toMatchObject({ stage: 'awaiting_acceptance', overdue: true });
    expect(await overdueAwaitingIds(), 'still listed as overdue after the opinion').toContain(id);

    const accepted = await unit('chaoyang-jianwai')('POST', `/v1/appeals/${id}/accept`, {});
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json<CaseView>()).toMatchObject({ stage: 'handling', overdue: false });
    expect(await until(overdueAwaitingIds, (ids) => !ids.includes(id), 5_000)).not.toContain(id);
    // Listed no longer overdue: the obligation was met.
    const listed = await center()('GET', `/v1/appeals?stage=handling&districtId=chaoyang&limit=200`);
    expect(listed.json<Page>().items.find((i) => i.appealId === id)).toMatchObject({
      overdue: false,
      overdueSince: null,
    });
  });

  it('a sector case past its handling deadline escalates to the sector authority; the lead gets the red light', async () => {
    const admin = withKey(app, 'dev-admin');
    for (const unitId of ['beijing-gas', 'sector-energy']) {
      const hook = await admin('PUT', `/v1/units/${unitId}/webhook`, {
        url: receiver.url,
        secret: 'escalation-test-secret-0123',
      });
      expect(hook.statusCode, hook.body).toBe(200);
    }
    const gas = await startDispatched({ categoryCode: 'utilities.gas.leak', districtId: 'chaoyang' });
    const id = gas.appealId;
    expect(gas).toMatchObject({ leadUnitId: 'beijing-gas', stage: 'awaiting_acceptance' });
    const accepted = await unit('beijing-gas')('POST', `/v1/appeals/${id}/accept`, {});
    expect(accepted.statusCode, accepted.body).toBe(200);
    const due = accepted.json<CaseView>().deadlines.handling!;

    const authority = coordinator('sector-energy');
    const escalated = await readUntil(
      authority,
      id,
      (c) => c.stage === 'callback' && escalationTo(c, 'sector-energy') !== undefined,
    );
    expect(escalated).toMatchObject({ stage: 'callback', overdue: true, overdueSince: due, escalationLevel: 1 });
    expect(escalated.escalations?.[0]).toMatchObject({ level: 1, cause: 'handling', coordinatorId: 'sector-energy' });
    // The reason the parties read, in Beijing time.
    expect(escalated.escalations?.[0]?.reason).toBe(`办理时限 ${beijingTimeText(due)} 已过，仍未答复办理结果`);
    expect(escalated.pendingActors).toContain('coordinator:sector-energy');
    const types = escalated.timeline.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['handling_overdue', 'escalated']));
    expect(types.indexOf('handling_overdue')).toBeLessThan(types.indexOf('escalated'));

    const answered = await authority('POST', `/v1/appeals/${id}/coordination-opinion`, {
      opinion: '责成燃气集团立即处置并报告',
    });
    expect(answered.statusCode, answered.body).toBe(200);
    expect(escalationTo(answered.json<CaseView>(), 'sector-energy')?.status).toBe('answered');
    // The lead is no coordinator: its unit key cannot give the opinion.
    expect(
      (await unit('beijing-gas')('POST', `/v1/appeals/${id}/coordination-opinion`, { opinion: 'x' })).statusCode,
    ).toBe(403);

    // What the unit systems were sent: the red light to the lead, the escalation to the authority.
    const delivered = await until(
      () => receiver.received.filter((n) => n.appealId === id),
      (ns) => ns.some((n) => n.kind === 'red_light') && ns.some((n) => n.kind === 'escalation'),
      5_000,
    );
    expect(delivered).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ unitId: 'beijing-gas', kind: 'red_light' }),
        expect.objectContaining({ unitId: 'sector-energy', kind: 'escalation' }),
      ]),
    );
    const redLight = delivered.find((n) => n.kind === 'red_light')?.message;
    expect(redLight).toContain(`工单 ${gas.workOrderNo}`);
    expect(redLight).toContain(beijingTimeText(due));
    expect(redLight).not.toContain(id);
    expect(delivered.find((n) => n.kind === 'escalation')?.message).toContain(`工单 ${gas.workOrderNo}`);
  });

  it('a street-only appeal takes its district from the street and escalates to that district government', async () => {
    const start = await intake()('POST', '/v1/appeals', {
      channel: 'web',
      appealType: 'report',
      categoryCode: 'urban.road_damage',
      content: '人行道砖块松动',
      streetId: 'xicheng-xinjiekou',
      requester: { name: '赵六', phone: '13600000000' },
    });
    expect(start.statusCode, start.body).toBe(201);
    const id = start.json<{ case: CaseView }>().case.appealId;
    expect(start.json<{ case: CaseView }>().case.districtId).toBe('xicheng');
    const triaged = await center()('POST', `/v1/appeals/${id}/triage`, { disposition: 'dispatch' });
    expect(triaged.statusCode, triaged.body).toBe(200);
    expect(triaged.json<CaseView>()).toMatchObject({
      districtId: 'xicheng',
      leadUnitId: 'xicheng-xinjiekou',
      supervisingUnitIds: ['xicheng-gov'],
    });

    const gov = coordinator('xicheng-gov');
    const escalated = await readUntil(gov, id, (c) => escalationTo(c, 'xicheng-gov') !== undefined);
    expect(escalated.escalations?.[0]).toMatchObject({ level: 1, coordinatorId: 'xicheng-gov' });
    const answered = await gov('POST', `/v1/appeals/${id}/coordination-opinion`, { opinion: '请街道当日签收' });
    expect(answered.statusCode, answered.body).toBe(200);
    expect(escalationTo(answered.json<CaseView>(), 'xicheng-gov')?.status).toBe('answered');
    // Listed under its district too.
    const listed = await center()('GET', '/v1/appeals?districtId=xicheng&limit=200');
    expect(listed.json<Page>().items.map((i) => i.appealId)).toContain(id);
  });
});

describe('dev keys', () => {
  it("a unit's or coordinator's key naming no unit of the directory is refused; a known one is let in", async () => {
    for (const key of ['dev-unit-no-such-unit', 'dev-coordinator-no-such-gov']) {
      const res = await withKey(app, key)('GET', '/v1/appeals?limit=1');
      expect(res.statusCode, res.body).toBe(401);
      expect(res.json<{ message: string }>().message).toContain(`${key} names unit no-such-`);
    }
    expect((await unit('beijing-water')('GET', '/v1/units/beijing-water/inbox')).statusCode).toBe(200);
    expect((await coordinator('chaoyang-gov')('GET', '/v1/appeals?limit=1')).statusCode).toBe(200);
  });
});
