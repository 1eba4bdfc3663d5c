/**
 * The dispatch plan read with the center's decision: over HTTP, the triage Update carries the
 * plan the API read beside it, and the case takes it instead of reading its own (one local
 * activity fewer in the decision's task), with the deadlines the case's own read would have
 * counted from the same instant. A direct Update, or a plan that does not fit the case (read for
 * another category, or too long ago), leaves the case to read its own.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { temporal as proto } from '@temporalio/proto';
import { planDispatch, type GivenDispatchPlan } from '../activities/dispatch/plan.js';
import { temporal } from '../scripts/lib/temporalProto.js';
import { appealWorkflowId, caseQuery, triageAppealUpdate, type AppealCase } from '../workflows/appeal/definitions.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, dispatchAsCenter, startApiWorld, until, waterOutage, type ApiWorld } from './support/api.js';
import { activitiesIn, CURRENT_ERA, FIXTURES_DIR } from './harness/scenario.js';

type HistoryEvent = proto.api.history.v1.IHistoryEvent;

let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, `${TASK_QUEUE}-plan`);
  app = world.app;
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const handleOf = (appealId: string) => world.env.client.workflow.getHandle(appealWorkflowId(appealId));
const historyOf = async (appealId: string): Promise<HistoryEvent[]> =>
  (await handleOf(appealId).fetchHistory()).events ?? [];

/** A water outage started over HTTP, its intake's task done (the center triages a case at rest). */
async function startedAtRest(): Promise<string> {
  const res = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
  expect(res.statusCode, res.body).toBe(201);
  const appealId = res.json<{ case: { appealId: string } }>().case.appealId;
  const local = await until(
    async () => activitiesIn(await historyOf(appealId)).local,
    (names) => names.includes('recordIntakeWithHints'),
  );
  expect(local).toEqual(['recordIntakeWithHints']);
  return appealId;
}

/** The input of each triage Update the case accepted, as it stands in the history. */
function triageInputs(events: HistoryEvent[]): { disposition: string; plan?: GivenDispatchPlan }[] {
  return events.flatMap((e) => {
    const request = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (request?.name !== triageAppealUpdate.name) return [];
    const data = request.args?.payloads?.[0]?.data;
    return data ? [JSON.parse(Buffer.from(data).toString()) as { disposition: string; plan?: GivenDispatchPlan }] : [];
  });
}

const dispatchedAt = (c: AppealCase) => c.timeline.find((entry) => entry.type === 'dispatched')!.at;

describe('the dispatch plan read with the decision', () => {
  it('over HTTP: the case takes the plan the API read, and reads none itself', async () => {
    const appealId = await startedAtRest();
    const res = await dispatchAsCenter(app, appealId);
    expect(res.statusCode, res.body).toBe(200);
    const answered = res.json<AppealCase>();
    expect(answered).toMatchObject({ stage: 'awaiting_acceptance', leadUnitId: 'beijing-water' });

    const events = await historyOf(appealId);
    const [input] = triageInputs(events);
    const given = input!.plan!;
    expect(given.input).toMatchObject({
      appealId,
      appealType: 'help',
      categoryCode: 'utilities.water.outage',
      districtId: 'chaoyang',
    });
    expect(given.plan.leadUnitId).toBe('beijing-water');
    // No read of its own: the decision's task ran only the write of its moment.
    expect(activitiesIn(events).local).toEqual(['recordIntakeWithHints', 'recordMoment']);
    // The order went out at the decision's instant as the API took it, with the plan's deadlines,
    // which are what the activity's read counts from that instant.
    const read = await handleOf(appealId).query(caseQuery);
    expect(dispatchedAt(read)).toBe(given.input.at);
    expect(read.waitingSince).toBe(given.input.at);
    const own = await planDispatch(database.db, given.input);
    expect(read.deadlines.acceptance).toBe(own.deadlines.acceptance);
    expect(read.deadlines.handling).toBe(own.deadlines.handling);
    expect(read.policy).toEqual(own.policy);

    // The unit goes on over HTTP; the history is kept as the replay fixture of this path.
    const accepted = await as(app, 'water')({ method: 'POST', url: `/v1/appeals/${appealId}/accept`, payload: {} });
    expect(accepted.statusCode, accepted.body).toBe(200);
    if (process.env.UPDATE_FIXTURES === '1') {
      const history = await handleOf(appealId).fetchHistory();
      await writeFile(
        join(FIXTURES_DIR, `${CURRENT_ERA}plan-given.history.pb`),
        temporal.api.history.v1.History.encode(history).finish(),
      );
    }
  });

  it('a direct Update carries no plan: the case reads its own', async () => {
    const appealId = await startedAtRest();
    const c = await handleOf(appealId).executeUpdate(triageAppealUpdate, {
      args: [{ by: { role: 'center' }, disposition: 'dispatch' }],
    });
    expect(c).toMatchObject({ stage: 'awaiting_acceptance', leadUnitId: 'beijing-water' });
    expect(activitiesIn(await historyOf(appealId)).local).toEqual([
      'recordIntakeWithHints',
      'planDispatch',
      'recordMoment',
    ]);
  });

  /** A plan the API might have read, for this case or not, with a lead of its own to tell them apart. */
  async function planFor(
    appealId: string,
    change: { categoryCode?: string; agoMs: number },
  ): Promise<GivenDispatchPlan> {
    const input = {
      appealId,
      appealType: 'help' as const,
      categoryCode: change.categoryCode ?? 'utilities.water.outage',
      districtId: 'chaoyang',
      at: new Date(Date.now() - change.agoMs).toISOString(),
    };
    const plan = await planDispatch(database.db, input);
    return { input, plan: { ...plan, leadUnitId: 'haidian-gov', lead: null, leadUnitKind: null } };
  }

  it.each([
    ['read for another category', { categoryCode: 'urban.manhole', agoMs: 0 }],
    ['read two minutes ago', { agoMs: 120_000 }],
  ])('a plan %s is not taken: the case reads its own', async (_, change) => {
    const appealId = await startedAtRest();
    const plan = await planFor(appealId, change);
    const c = await handleOf(appealId).executeUpdate(triageAppealUpdate, {
      args: [{ by: { role: 'center' }, disposition: 'dispatch', plan }],
    });
    // The catalogue's lead for a water outage, not the plan's.
    expect(c).toMatchObject({ stage: 'awaiting_acceptance', leadUnitId: 'beijing-water' });
    expect(activitiesIn(await historyOf(appealId)).local).toContain('planDispatch');
  });

  it('a plan that fits is taken from a direct Update too (what the case checks is the plan, not who sent it)', async () => {
    const appealId = await startedAtRest();
    const plan = await planFor(appealId, { agoMs: 0 });
    const c = await handleOf(appealId).executeUpdate(triageAppealUpdate, {
      args: [{ by: { role: 'center' }, disposition: 'dispatch', plan }],
    });
    expect(c).toMatchObject({ stage: 'awaiting_acceptance', leadUnitId: 'haidian-gov' });
    expect(activitiesIn(await historyOf(appealId)).local).not.toContain('planDispatch');
  });
});
