/**
 * Every stuck-case filter of the README ("Finding stuck cases in the Temporal UI") finds the
 * cases it describes and none of the others. The filters are read from README.md at test time,
 * so the test fails when the README and the product disagree. The cases are made through the
 * HTTP API on the dev server, in real time, with policies whose windows last seconds (in this
 * file's own database); each query is narrowed to this file's cases by their AppealId.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startApiWorld, until, type ApiWorld } from './support/api.js';
import { addFastPolicy, buildDevKeyApi, routeCategoryTo, withKey, type Call } from './support/fastPolicies.js';
import { ROOT } from '../scripts/lib/paths.js';
import { appealWorkflowId, TASK_QUEUE } from '../workflows/appeal/definitions.js';

interface Row {
  question: string;
  filter: string;
}

/** The rows of the README's table, as written there. */
function readmeRows(): Row[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Finding stuck cases');
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  return [...section.matchAll(/^\|\s*([^|\n]+?)\s*\|\s*`([^`]+)`\s*\|\s*$/gm)].map((m) => ({
    question: m[1]!,
    filter: m[2]!,
  }));
}

interface CaseView {
  appealId: string;
  stage: string;
  overdue: boolean;
  escalationLevel: number;
  coHandlers: { unitId: string; status: string; workflowId: string }[];
}

/**
 * The cases, one per situation a supervisor looks for, plus the ones that must not be found.
 * Each filter is run over all of them.
 */
interface Pool {
  /** Street case (chaoyang-jianwai) whose acceptance window passed: overdue, escalated. */
  acceptanceLate: string;
  /** Street case (chaoyang-chaowai) whose unit objected; the center did not review in time. */
  reviewLate: string;
  /** Street case (chaoyang-jianwai) accepted, no result by the handling deadline: callback, overdue, escalated. */
  handlingLate: string;
  /** Street case (chaoyang-jianwai) in handling, due in days, with two co-handlers. */
  coHandled: string;
  /** Its co-handler that missed its own deadline (a child workflow). */
  coHandlerLate: string;
  /** Its co-handler that reported in time (a child workflow, finished). */
  coHandlerDone: string;
  /** Flagged as a risk to social stability, still in triage (chaoyang-jianwai): waits on the center. */
  stabilityInTriage: string;
  /** Dispatched to chaoyang-jianwai, in its acceptance window (due in hours). */
  awaitingOnTime: string;
  /** In handling at a Haidian street, due in days. */
  haidianHandling: string;
  /** Flagged as a stability risk, then withdrawn: closed. */
  stabilityClosed: string;
}

/**
 * Each README filter by what it asks, with the pool's cases it must find (all others it must
 * not). A README row no scenario recognises, or a scenario without a row, fails the test.
 */
const SCENARIOS: { name: string; recognises: RegExp; finds: (keyof Pool)[] }[] = [
  {
    name: 'dispatched but not accepted in time',
    recognises: /AppealStage\s*=\s*"awaiting_acceptance"/,
    finds: ['acceptanceLate'],
  },
  { name: 'objections not reviewed in time', recognises: /"objection_review"/, finds: ['reviewLate'] },
  { name: 'past the handling deadline', recognises: /"handling"/, finds: ['handlingLate'] },
  { name: 'escalated', recognises: /EscalationLevel/, finds: ['acceptanceLate', 'handlingLate'] },
  {
    name: 'due in the next 24 hours',
    recognises: /DueAt\s*</,
    finds: ['acceptanceLate', 'reviewLate', 'awaitingOnTime', 'coHandlerLate'],
  },
  {
    name: 'everything waiting on one unit',
    recognises: /NextActor\s*=\s*"unit:/,
    finds: ['acceptanceLate', 'coHandled', 'awaitingOnTime'],
  },
  { name: 'co-handlers late with their part', recognises: /CoHandlerUnit/, finds: ['coHandlerLate'] },
  {
    name: "one district's open cases",
    recognises: /District\s*=/,
    finds: ['acceptanceLate', 'reviewLate', 'handlingLate', 'coHandled', 'stabilityInTriage', 'awaitingOnTime'],
  },
  {
    name: 'waiting on the hotline center',
    recognises: /NextActor\s*=\s*"center"/,
    finds: ['reviewLate', 'handlingLate', 'stabilityInTriage'],
  },
  { name: 'open stability risks', recognises: /StabilityRisk/, finds: ['stabilityInTriage'] },
];

const rowOf = (scenario: (typeof SCENARIOS)[number]): Row | undefined =>
  readmeRows().find((row) => scenario.recognises.test(row.filter));

const taskQueue = `${TASK_QUEUE}-supervisor-filters`;
let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;
let pool: Pool;
let appealIds: string[];

beforeAll(async () => {
  database = await createTestDatabase();
  // Missed acceptance after ~3 s; one reminder per tier.
  await addFastPolicy(database, {
    code: 'test-fast-acceptance',
    seconds: { acceptance: 3, coordinationOpinion: 7 },
    reminderLimits: [1, 1, 1],
    escalationLevels: 2,
  });
  await routeCategoryTo(database, 'urban.road_damage', 'test-fast-acceptance');
  // Time to accept; objection review and handling ~3 s; the callback window beyond the next 24 hours.
  await addFastPolicy(database, {
    code: 'test-fast-handling',
    seconds: { acceptance: 600, objectionReview: 3, handling: 3, coordinationOpinion: 7, callbackWindow: 2 * 86_400 },
    reminderLimits: [1, 1, 1],
    escalationLevels: 2,
  });
  await routeCategoryTo(database, 'urban.manhole', 'test-fast-handling');
  // The general policy, but a co-handler's part is due in ~3 s.
  await addFastPolicy(database, { code: 'test-fast-co-handler', copyOf: 'general', seconds: { coHandler: 3 } });
  await routeCategoryTo(database, 'urban.dog', 'test-fast-co-handler');
  world = await startApiWorld(database, taskQueue);
  app = await buildDevKeyApi(database, taskQueue);
  pool = await makePool();
  appealIds = [...new Set(Object.values(pool).map(appealIdOfWorkflow))];
});
afterAll(async () => {
  await app?.close();
  await world?.close();
  await database?.drop();
});

/** Workflow ids of the pool: appeals by `appeal-<id>`, co-handlers by their own id (which carries the appeal id). */
const workflowToAppeal = new Map<string, string>();
const appealIdOfWorkflow = (workflowId: string): string => workflowToAppeal.get(workflowId)!;

async function makePool(): Promise<Pool> {
  const intake = withKey(app, 'dev-intake');
  const center = withKey(app, 'dev-center');
  const unit = (id: string) => withKey(app, `dev-unit-${id}`);

  const start = async (body: Record<string, unknown>): Promise<string> => {
    const res = await intake('POST', '/v1/appeals', {
      channel: 'phone',
      appealType: 'complaint',
      content: '监管筛选测试',
      requester: { name: '钱七', phone: '13500000000' },
      ...body,
    });
    expect(res.statusCode, res.body).toBe(201);
    const appealId = res.json<{ case: CaseView }>().case.appealId;
    workflowToAppeal.set(appealWorkflowId(appealId), appealId);
    return appealId;
  };
  const ok = async (call: Call, method: 'POST', url: string, payload: object): Promise<CaseView> => {
    const res = await call(method, url, payload);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json<CaseView>();
  };
  const dispatched = async (body: Record<string, unknown>): Promise<string> => {
    const id = await start(body);
    await ok(center, 'POST', `/v1/appeals/${id}/triage`, { disposition: 'dispatch' });
    return id;
  };
  const settled = async (id: string, what: string, done: (c: CaseView) => boolean): Promise<void> => {
    const last = await until(async () => (await center('GET', `/v1/appeals/${id}`)).json<CaseView>(), done, 15_000);
    expect(done(last), `${what}: ${JSON.stringify(last)}`).toBe(true);
  };
  const jianwai = { districtId: 'chaoyang', streetId: 'chaoyang-jianwai' };

  const acceptanceLate = async () => {
    const id = await dispatched({ categoryCode: 'urban.road_damage', ...jianwai });
    await settled(id, 'acceptance overdue and escalated', (c) => c.overdue && c.escalationLevel >= 1);
    return appealWorkflowId(id);
  };
  const reviewLate = async () => {
    const id = await dispatched({
      categoryCode: 'urban.manhole',
      districtId: 'chaoyang',
      streetId: 'chaoyang-chaowai',
    });
    await ok(unit('chaoyang-chaowai'), 'POST', `/v1/appeals/${id}/object`, { reason: '井盖属市政管线单位' });
    await settled(id, 'objection review overdue', (c) => c.stage === 'objection_review' && c.overdue);
    return appealWorkflowId(id);
  };
  const handlingLate = async () => {
    const id = await dispatched({ categoryCode: 'urban.manhole', ...jianwai });
    await ok(unit('chaoyang-jianwai'), 'POST', `/v1/appeals/${id}/accept`, {});
    await settled(id, 'handling deadline passed', (c) => c.stage === 'callback' && c.overdue && c.escalationLevel >= 1);
    return appealWorkflowId(id);
  };
  const coHandled = async () => {
    const id = await dispatched({ categoryCode: 'urban.dog', ...jianwai });
    const lead = unit('chaoyang-jianwai');
    await ok(lead, 'POST', `/v1/appeals/${id}/accept`, {});
    await ok(lead, 'POST', `/v1/appeals/${id}/co-handlers`, { unitId: 'chaoyang-housing', task: '核查出租房屋养犬' });
    const added = await ok(lead, 'POST', `/v1/appeals/${id}/co-handlers`, {
      unitId: 'chaoyang-ecology',
      task: '核查噪声',
    });
    // The co-handler acts once the case record names it (it may lag the answer by a moment).
    const reported = await until(
      () => unit('chaoyang-ecology')('POST', `/v1/appeals/${id}/co-handler-report`, { report: '已核查，无超标' }),
      (res) => res.statusCode !== 404,
      5_000,
    );
    expect(reported.statusCode, reported.body).toBe(200);
    await settled(
      id,
      'one co-handler late, one done',
      (c) =>
        c.coHandlers.find((co) => co.unitId === 'chaoyang-housing')?.status === 'late' &&
        c.coHandlers.find((co) => co.unitId === 'chaoyang-ecology')?.status === 'done',
    );
    const child = (unitId: string) => {
      const workflowId = added.coHandlers.find((co) => co.unitId === unitId)!.workflowId;
      workflowToAppeal.set(workflowId, id);
      return workflowId;
    };
    return {
      coHandled: appealWorkflowId(id),
      coHandlerLate: child('chaoyang-housing'),
      coHandlerDone: child('chaoyang-ecology'),
    };
  };
  const stabilityInTriage = async () =>
    appealWorkflowId(await start({ categoryCode: 'urban.garbage', ...jianwai, stabilityRisk: true }));
  const awaitingOnTime = async () => appealWorkflowId(await dispatched({ categoryCode: 'urban.garbage', ...jianwai }));
  const haidianHandling = async () => {
    const id = await dispatched({ categoryCode: 'urban.garbage', streetId: 'haidian-zhongguancun' });
    await ok(unit('haidian-zhongguancun'), 'POST', `/v1/appeals/${id}/accept`, {});
    return appealWorkflowId(id);
  };
  const stabilityClosed = async () => {
    const id = await start({ categoryCode: 'urban.garbage', streetId: 'haidian-zhongguancun', stabilityRisk: true });
    await ok(intake, 'POST', `/v1/appeals/${id}/withdraw`, { reason: '诉求人撤回' });
    await settled(id, 'withdrawn', (c) => c.stage === 'closed');
    return appealWorkflowId(id);
  };

  const [a, b, c, d, e, f, g, h] = await Promise.all([
    acceptanceLate(),
    reviewLate(),
    handlingLate(),
    coHandled(),
    stabilityInTriage(),
    awaitingOnTime(),
    haidianHandling(),
    stabilityClosed(),
  ]);
  return {
    acceptanceLate: a,
    reviewLate: b,
    handlingLate: c,
    ...d,
    stabilityInTriage: e,
    awaitingOnTime: f,
    haidianHandling: g,
    stabilityClosed: h,
  };
}

const listIds = async (query: string): Promise<string[]> => {
  const ids: string[] = [];
  for await (const execution of world.env.client.workflow.list({ query })) ids.push(execution.workflowId);
  return ids.sort();
};

/** The README's filter as a supervisor runs it now ("the next 24 hours" from now), narrowed to this file's cases. */
function scoped(filter: string): string {
  const in24h = new Date(Date.now() + 24 * 3_600_000).toISOString();
  const now = filter.replace(/(DueAt\s*<\s*)"[^"]*"/, `$1"${in24h}"`);
  return `(${now}) AND AppealId IN (${appealIds.map((id) => `"${id}"`).join(', ')})`;
}

const names = (workflowIds: string[]): string[] =>
  workflowIds.map((id) => Object.entries(pool).find(([, w]) => w === id)?.[0] ?? id).sort();

describe("the README's stuck-case filters, on cases made through the API", () => {
  it('every row of the table is one of the situations tested here, and every situation has its row', () => {
    const rows = readmeRows();
    expect(rows.length).toBeGreaterThanOrEqual(SCENARIOS.length);
    for (const row of rows) {
      const matching = SCENARIOS.filter((s) => s.recognises.test(row.filter)).map((s) => s.name);
      expect(matching, `README row "${row.question}": ${row.filter}`).toHaveLength(1);
    }
    for (const scenario of SCENARIOS) expect(rowOf(scenario), `README has no row for "${scenario.name}"`).toBeDefined();
  });

  for (const scenario of SCENARIOS) {
    it(`"${scenario.name}" finds exactly its cases`, async () => {
      const row = rowOf(scenario);
      expect(row, `README has no row for "${scenario.name}"`).toBeDefined();
      const query = scoped(row!.filter);
      const expected = scenario.finds.map((k) => pool[k]).sort();
      // Visibility is eventually consistent: poll until the answer settles on the expected one.
      const found = await until(
        () => listIds(query),
        (ids) => ids.join() === expected.join(),
        10_000,
      );
      expect(names(found), `${row!.question}: ${query}`).toEqual(names(expected));
    });
  }
});
