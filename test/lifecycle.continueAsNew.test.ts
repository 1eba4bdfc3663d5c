/**
 * A long case continues as new (workflows/appeal/continuation.ts), on the dev server and only
 * through the API once started: with a limit of five Updates per run, a water outage re-handled
 * twice continues at the start of its first re-handling round and again while the water company
 * records contacts. Its id stays, each run links to the next, the case carries over whole
 * (timeline, deadlines, rounds, the audit trail's sequence), the API reads and acts on it across
 * the boundaries, and it closes normally in its third run.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { appealWorkflow } from '../workflows/index.js';
import {
  appealWorkflowId,
  caseQuery,
  TASK_QUEUE,
  type AppealCase,
  type WorkOrder,
} from '../workflows/appeal/definitions.js';
import type { AppealOptions } from '../workflows/appeal/continuation.js';
import { AppealStage, LeadUnit } from '../workflows/searchAttributes.js';
import { assessments } from '../db/schema/index.js';
import { getAppealRecord, listAuditEvents } from '../db/queries/cases.js';
import { temporal, type HistoryEvent } from '../scripts/lib/temporalProto.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { as, startApiWorld, until, type ApiWorld } from './support/api.js';
import { FIXTURES_DIR } from './harness/scenario.js';

const EventType = temporal.api.enums.v1.EventType;
const taskQueue = `${TASK_QUEUE}-continue-as-new`;
let database: TestDatabase;
let world: ApiWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startApiWorld(database, taskQueue);
  app = world.app;
});
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

type Call = ReturnType<typeof as>;
const center = (): Call => as(app, 'center');
const water = (): Call => as(app, 'water');
const supervisor = (): Call => as(app, 'supervisor');

/** An action through the API: answers the case once the workflow has acted on it. */
async function act(
  call: Call,
  id: string,
  path: string,
  body: object,
  headers: Record<string, string> = {},
): Promise<AppealCase> {
  const res = await call({ method: 'POST', url: `/v1/appeals/${id}/${path}`, payload: body, headers });
  expect(res.statusCode, `${path}: ${res.body}`).toBe(200);
  return res.json<AppealCase>();
}

async function read(id: string): Promise<AppealCase & { source: string }> {
  const res = await supervisor()({ method: 'GET', url: `/v1/appeals/${id}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<AppealCase & { source: string }>();
}

/** The id of the case's run that is open now (or last closed), as the server describes it. */
const currentRunId = async (workflowId: string): Promise<string> =>
  (await world.env.client.workflow.getHandle(workflowId).describe()).runId;

/** Waits until the case runs in a run other than `runId` (it continued as new); answers the new run's id. */
async function nextRun(workflowId: string, runId: string): Promise<string> {
  const next = await until(
    () => currentRunId(workflowId),
    (id) => id !== runId,
  );
  expect(next).not.toBe(runId);
  return next;
}

const historyOf = async (workflowId: string, runId: string): Promise<HistoryEvent[]> =>
  (await world.env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];

const updatesIn = (events: HistoryEvent[]): number =>
  events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).length;

/** Saves one run's history as a replay fixture when asked to (`UPDATE_FIXTURES=1`), as the scenario harness does. */
async function saveFixture(name: string, workflowId: string, runId: string): Promise<void> {
  if (process.env.UPDATE_FIXTURES !== '1') return;
  const history = await world.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  await writeFile(join(FIXTURES_DIR, `${name}.history.pb`), temporal.api.history.v1.History.encode(history).finish());
}

/**
 * A water outage started as the API starts one, with low limits; answers once its intake is
 * recorded. The catalogue dispatches it to the water company, whose callback follows the result.
 */
async function startLongCase(
  limits: AppealOptions['continueAsNew'],
): Promise<{ id: string; workflowId: string; firstRunId: string }> {
  const order: WorkOrder = {
    appealId: `long-${randomUUID().slice(0, 8)}`,
    channel: 'phone',
    appealType: 'help',
    categoryCode: 'utilities.water.outage',
    content: '小区停水两天',
    districtId: 'chaoyang',
    requester: { name: '张三', phone: '13900000000' },
    receivedAt: new Date().toISOString(),
  };
  const workflowId = appealWorkflowId(order.appealId);
  const options: AppealOptions = { continueAsNew: limits };
  const started = await world.env.client.workflow.start(appealWorkflow, {
    taskQueue,
    workflowId,
    args: [order, options],
  });
  await until(
    () => getAppealRecord(database.db, order.appealId),
    (row) => row !== undefined && row !== null,
  );
  return { id: order.appealId, workflowId, firstRunId: started.firstExecutionRunId };
}

describe('a long case continues as new', () => {
  it('keeps its id, carries its state across two new runs, and closes normally', async () => {
    const { id, workflowId, firstRunId } = await startLongCase({ updates: 5 });

    // Run 1: five Updates, the last one ordering re-handling; the next round starts in run 2.
    await act(center(), id, 'triage', { disposition: 'dispatch' });
    await act(water(), id, 'accept', {});
    await act(water(), id, 'result', { outcome: 'resolved', summary: '已恢复供水' });
    await act(center(), id, 'callback', {
      reached: true,
      contacted: true,
      resolved: false,
      satisfaction: 'unsatisfied',
    });
    const retried = { 'idempotency-key': `rehandling-${id}` };
    const ordered = await act(center(), id, 'rehandling', { reason: '水压仍不足' }, retried);
    expect(ordered).toMatchObject({ stage: 'rehandling', rehandlings: 1 });
    const secondRunId = await nextRun(workflowId, firstRunId);

    // The first run ended by continuing as new, into the second; it took exactly the five Updates.
    const first = await historyOf(workflowId, firstRunId);
    const last = first.at(-1)!;
    expect(last.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    expect(last.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId).toBe(secondRunId);
    expect(updatesIn(first)).toBe(5);

    // The API reads the same case by its id once the new run has recorded it: nothing lost, the deadlines the same instants.
    const carried = await until(
      () => read(id),
      (c) => c.runs === 2,
    );
    expect(carried.source).toBe('record');
    expect(carried).toMatchObject(
      await world.env.client.workflow.getHandle<typeof appealWorkflow>(workflowId).query(caseQuery),
    );
    expect(ordered.runs).toBeUndefined();
    expect(carried.runs).toBe(2);
    expect(carried).toMatchObject({
      appealId: id,
      stage: 'rehandling',
      leadUnitId: 'beijing-water',
      rehandlings: 1,
      deadlines: ordered.deadlines,
      dueAt: ordered.dueAt,
      nextActor: 'unit:beijing-water',
    });
    expect(carried.timeline).toEqual(ordered.timeline);
    // A client's retry of the order, with its Idempotency-Key, reaches the new run: answered, not ordered twice.
    const retry = await act(center(), id, 'rehandling', { reason: '水压仍不足' }, retried);
    expect(retry).toMatchObject({ stage: 'rehandling', rehandlings: 1 });
    expect(retry.timeline).toEqual(ordered.timeline);
    // Supervisors find it in the UI as before: the new run's search attributes.
    const described = await world.env.client.workflow.getHandle(workflowId).describe();
    expect(described.typedSearchAttributes.get(AppealStage)).toBe('rehandling');
    expect(described.typedSearchAttributes.get(LeadUnit)).toBe('beijing-water');

    // Run 2: the water company records its contacts; with the retry, the fourth makes the run long
    // while handling waits (the fifth goes to run 3).
    for (let i = 1; i <= 5; i++) {
      const c = await act(water(), id, 'first-contact', { note: `第${i}次联系` });
      expect(c.timeline.filter((e) => e.type === 'first_contact')).toHaveLength(i);
    }
    const thirdRunId = await nextRun(workflowId, secondRunId);
    const second = await historyOf(workflowId, secondRunId);
    expect(second.at(-1)!.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    expect(second.at(-1)!.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId).toBe(thirdRunId);
    expect(updatesIn(second)).toBe(5);
    expect(await read(id)).toMatchObject({ stage: 'rehandling', rehandlings: 1, dueAt: ordered.dueAt });

    // Run 3: a second round, then a satisfied callback closes the case.
    await act(water(), id, 'result', { outcome: 'resolved', summary: '已更换加压泵' });
    await act(center(), id, 'callback', {
      reached: true,
      contacted: true,
      resolved: false,
      satisfaction: 'unsatisfied',
    });
    const again = await act(center(), id, 'rehandling', { reason: '仍有停水' });
    expect(again).toMatchObject({ stage: 'rehandling', rehandlings: 2 });
    expect(again.deadlines.rehandling1).toBe(ordered.deadlines.rehandling1);
    await act(water(), id, 'result', { outcome: 'resolved', summary: '管网已修复' });
    await act(center(), id, 'callback', {
      reached: true,
      contacted: true,
      resolved: true,
      satisfaction: 'satisfied',
    });
    const closed = await world.env.client.workflow.getHandle<typeof appealWorkflow>(workflowId).result();
    expect(closed).toMatchObject({ stage: 'closed', rehandlings: 2 });
    expect(await currentRunId(workflowId)).toBe(thirdRunId);
    expect(closed.timeline.slice(0, ordered.timeline.length)).toEqual(ordered.timeline);
    expect(await read(id)).toMatchObject({ stage: 'closed', source: 'record', rehandlings: 2, runs: 3 });

    // The audit trail is one sequence across the runs: after the intake, every step once, keys 1..n with no gap or repeat.
    const [intake, ...steps] = await listAuditEvents(database.db, id);
    expect(intake?.stepKey).toBe('intake');
    expect(steps.map((e) => e.stepKey)).toEqual(closed.timeline.map((_, i) => String(i + 1)));
    expect(steps.map((e) => e.type)).toEqual(closed.timeline.map((e) => e.type));
    expect(steps.filter((e) => e.type === 'rehandling_ordered')).toHaveLength(2);
    const rows = await database.db.select().from(assessments).where(eq(assessments.appealId, id));
    expect(rows).toEqual([
      expect.objectContaining({ unitId: 'beijing-water', resolved: true, satisfaction: 'satisfied' }),
    ]);

    await saveFixture('continued-as-new-first-run', workflowId, firstRunId);
    await saveFixture('continued-as-new-carried-run', workflowId, thirdRunId);
  });

  it('waits while a co-handler part is open, and continues once its workflow has ended', async () => {
    const { id, workflowId, firstRunId } = await startLongCase({ updates: 4 });
    await act(center(), id, 'triage', { disposition: 'dispatch' });
    await act(water(), id, 'accept', {});
    await act(water(), id, 'co-handlers', { unitId: 'chaoyang-jianwai', task: '排查小区内管网' });
    // Past the limit, but the co-handler's child workflow runs alongside: the run goes on.
    for (let i = 1; i <= 3; i++) await act(water(), id, 'first-contact', { note: `第${i}次联系` });
    expect(await currentRunId(workflowId)).toBe(firstRunId);
    const jianwai = as(app, 'jianwai');
    const reported = await act(jianwai, id, 'co-handler-report', { report: '小区内管网已排查' });
    expect(reported.coHandlers).toEqual([expect.objectContaining({ unitId: 'chaoyang-jianwai', status: 'done' })]);

    // The child ends with its final report; then handling's wait is a safe point and the case continues.
    const secondRunId = await nextRun(workflowId, firstRunId);
    expect((await historyOf(workflowId, firstRunId)).at(-1)!.eventType).toBe(
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    );
    expect(await read(id)).toMatchObject({
      stage: 'handling',
      coHandlers: [expect.objectContaining({ unitId: 'chaoyang-jianwai', status: 'done' })],
      timeline: reported.timeline,
    });

    await act(water(), id, 'result', { outcome: 'resolved', summary: '已恢复供水' });
    await act(center(), id, 'callback', { reached: true, contacted: true, resolved: true, satisfaction: 'satisfied' });
    const closed = await world.env.client.workflow.getHandle<typeof appealWorkflow>(workflowId).result();
    expect(closed.stage).toBe('closed');
    expect(await currentRunId(workflowId)).toBe(secondRunId);
    // The co-handler carried over is assessed with the lead.
    const rows = await database.db.select().from(assessments).where(eq(assessments.appealId, id));
    expect(rows.map((r) => [r.unitId, r.role]).sort()).toEqual([
      ['beijing-water', 'lead'],
      ['chaoyang-jianwai', 'co_handler'],
    ]);
  });

  it('continues once its history is past the limit, however few its Updates', async () => {
    // So low that a new run is past it from its own start: it waits for an action before it may continue.
    const { id, workflowId, firstRunId } = await startLongCase({ historyEvents: 5 });
    await act(center(), id, 'triage', { disposition: 'dispatch' });
    const accepted = await act(water(), id, 'accept', {});
    // Handling's first wait is the first safe point: the run continues there.
    const secondRunId = await nextRun(workflowId, firstRunId);
    const first = await historyOf(workflowId, firstRunId);
    expect(first.length).toBeGreaterThanOrEqual(5);
    expect(updatesIn(first)).toBe(2);
    expect(await read(id)).toMatchObject({ stage: 'handling', timeline: accepted.timeline });
    // The new run's first task: it carried the case on and waits for the result.
    const second = await until(
      () => historyOf(workflowId, secondRunId),
      (events) => events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    );
    expect(second.length).toBeGreaterThanOrEqual(5);
    expect(await currentRunId(workflowId)).toBe(secondRunId);

    await act(water(), id, 'result', { outcome: 'resolved', summary: '已恢复供水' });
    await act(center(), id, 'callback', { reached: true, contacted: true, resolved: true, satisfaction: 'satisfied' });
    const closed = await world.env.client.workflow.getHandle<typeof appealWorkflow>(workflowId).result();
    expect(closed.stage).toBe('closed');
    expect(await currentRunId(workflowId)).toBe(secondRunId);
  });
});
