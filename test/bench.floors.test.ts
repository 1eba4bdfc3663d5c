/**
 * The benchmark's floors are what its tables say they are: the empty Update leaves nothing but
 * the Update in history, the recorded Update one local activity's marker, the shaped Update an
 * action's search attributes, a replaced timer, one marker and a case-sized answer. A floor that
 * did less (or more) would make every ratio to it say something false.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { connectDevServer } from './support/temporal.js';
import { floorActivities } from '../scripts/bench/floor/activities.js';
import {
  floorRecordedUpdate,
  floorShapedUpdate,
  floorUpdate,
  type floorShapedWorkflow,
  type floorWorkflow,
} from '../scripts/bench/floor/workflows.js';
import { actionFloorsTable, type Comparison } from '../scripts/bench/report.js';
import type { Stats } from '../scripts/bench/measure.js';

const EventType = temporal.api.enums.v1.EventType;
const taskQueue = `bench-floor-test-${randomUUID()}`;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  env = await connectDevServer();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: new URL('../scripts/bench/floor/workflows.ts', import.meta.url).pathname,
    activities: floorActivities,
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

/** The events after the first workflow task's, by type name, of the workflow's history so far. */
async function eventsAfterStart(workflowId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const types = (history.events ?? []).map((e) => EventType[e.eventType ?? 0]!.replace('EVENT_TYPE_', ''));
  const firstDone = types.indexOf('WORKFLOW_TASK_COMPLETED');
  return types.slice(firstDone + 1).filter((t) => !t.startsWith('WORKFLOW_TASK_'));
}

describe("the benchmark's floors", () => {
  it('the empty and the recorded Update: the Update alone, then with one local activity before the answer', async () => {
    const workflowId = `floor-${randomUUID()}`;
    const handle = await env.client.workflow.start<typeof floorWorkflow>('floorWorkflow', { taskQueue, workflowId });
    await expect(handle.executeUpdate(floorUpdate)).resolves.toBeNull();
    expect(await eventsAfterStart(workflowId)).toEqual([
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
    ]);
    await expect(handle.executeUpdate(floorRecordedUpdate)).resolves.toBeNull();
    expect((await eventsAfterStart(workflowId)).slice(2)).toEqual([
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'MARKER_RECORDED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
    ]);
    await handle.terminate('test done');
  });

  it("the shaped Update: an action's search attributes, its timer replaced, one marker, a case-sized answer", async () => {
    const workflowId = `floor-shaped-${randomUUID()}`;
    const handle = await env.client.workflow.start<typeof floorShapedWorkflow>('floorShapedWorkflow', {
      taskQueue,
      workflowId,
    });
    await expect(handle.executeUpdate(floorShapedUpdate)).resolves.toHaveLength(1500);
    await expect(handle.executeUpdate(floorShapedUpdate)).resolves.toHaveLength(1500);
    const events = await eventsAfterStart(workflowId);
    // The first timer is the one the workflow starts with; each Update replaces it.
    expect(events[0]).toBe('TIMER_STARTED');
    const perUpdate = [
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'TIMER_CANCELED',
      'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
      'TIMER_STARTED',
      'MARKER_RECORDED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
    ];
    expect(events.slice(1)).toEqual([...perUpdate, ...perUpdate]);
    const description = await handle.describe();
    expect(description.searchAttributes.AppealStage).toEqual(['floor-2']);
    await handle.terminate('test done');
  });
});

describe('the table of the actions against the floors', () => {
  const stats = (p50Ms: number, cpu: number): Stats => ({
    ops: 10,
    errors: 0,
    errorSamples: [],
    opsPerSec: 100,
    p50Ms,
    p95Ms: p50Ms,
    p99Ms: p50Ms,
    meanMs: p50Ms,
    cpuMsPerOp: { node: cpu / 2, temporal: cpu / 2 },
  });
  it('gives each floor as a ratio to the empty Update, and the action as a ratio to the shaped one', () => {
    const accept: Comparison = {
      operation: 'accept',
      directHow: 'd',
      httpHow: 'h',
      floor: stats(50, 10),
      recordedFloor: stats(75, 15),
      shapedFloor: stats(100, 25),
      direct: stats(150, 40),
      http: stats(180, 45),
    };
    const start: Comparison = {
      operation: 'start',
      directHow: 'd',
      httpHow: 'h',
      floor: stats(50, 10),
      direct: stats(60, 12),
      http: stats(70, 14),
    };
    const lines = actionFloorsTable([start, accept]).split('\n');
    // A header, its rule, and the action only: the start has no recorded or shaped floor.
    expect(lines).toHaveLength(3);
    const cells = lines[2]!.split('|').map((c) => c.trim());
    expect(cells.slice(1, 7)).toEqual([
      'accept',
      '50 ms · 10 ms',
      '75 ms · 15 ms (1.50× · 1.50×)',
      '100 ms · 25 ms (2.00× · 2.50×)',
      '180 ms · 45 ms (3.60× · 4.50×)',
      '1.80× · 1.80×',
    ]);
  });
});
