import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { connectDevServer, workflowBundle } from './support/temporal.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { testLogger } from './support/logger.js';
import { createWorker } from '../worker/createWorker.js';
import { appealWorkflow } from '../workflows/index.js';
import { appealWorkflowId, reportResultUpdate, TASK_QUEUE, type WorkOrder } from '../workflows/appeal/definitions.js';
import { AppealStage } from '../workflows/searchAttributes.js';
import { listAuditEvents } from '../db/queries/cases.js';

let env: TestWorkflowEnvironment;
let database: TestDatabase;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  [env, database] = await Promise.all([connectDevServer(), createTestDatabase()]);
  // A task queue of this file's own, so other files' workers on the shared server stay apart.
  worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue: `${TASK_QUEUE}-foundation`,
    db: database.db,
    log: testLogger,
    workflowBundle: workflowBundle(),
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.drop();
});

describe('Temporal dev server (real CLI) with activities on PostgreSQL', () => {
  it('records intake, takes an update, closes, and shows the stage as a search attribute', async () => {
    const order: WorkOrder = {
      appealId: `dev-${Date.now()}`,
      channel: 'web',
      appealType: 'help',
      categoryCode: 'utilities.water.outage',
      content: '小区停水两天',
      districtId: 'chaoyang',
      requester: { phone: '13900000000' },
      receivedAt: new Date().toISOString(),
    };
    const handle = await env.client.workflow.start(appealWorkflow, {
      taskQueue: `${TASK_QUEUE}-foundation`,
      workflowId: appealWorkflowId(order.appealId),
      args: [order],
    });
    // The update is accepted only once the workflow has reached handling; retry until then.
    let state;
    for (let attempt = 0; ; attempt++) {
      try {
        state = await handle.executeUpdate(reportResultUpdate, { args: [{ unitId: 'beijing-water', outcome: 'resolved', summary: '已恢复供水' }] });
        break;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(state.stage).toBe('handling');
    const result = await handle.result();
    expect(result.stage).toBe('closed');

    const events = await listAuditEvents(database.db, order.appealId);
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'intake'],
      [2, 'closed'],
    ]);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(AppealStage)).toBe('closed');
  });
});
