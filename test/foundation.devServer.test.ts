import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { connectDevServer, workflowBundle } from './support/temporal.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { testLogger } from './support/logger.js';
import { createWorker } from '../worker/createWorker.js';
import { appealWorkflow } from '../workflows/index.js';
import {
  acceptDispatchUpdate,
  appealWorkflowId,
  recordCallbackUpdate,
  reportResultUpdate,
  TASK_QUEUE,
  triageAppealUpdate,
  type WorkOrder,
} from '../workflows/appeal/definitions.js';
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
  it('drives an appeal through updates to its close, with its records and search attributes', async () => {
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
    await handle.executeUpdate(triageAppealUpdate, { args: [{ by: { role: 'center' }, disposition: 'dispatch' }] });
    const accepted = await handle.executeUpdate(acceptDispatchUpdate, {
      args: [{ by: { role: 'unit', unitId: 'beijing-water' } }],
    });
    expect(accepted.stage).toBe('handling');
    // Water supply: the policy calls back as soon as the result is reported (Art. 21, 24).
    await handle.executeUpdate(reportResultUpdate, {
      args: [{ by: { role: 'unit', unitId: 'beijing-water' }, outcome: 'resolved', summary: '已恢复供水' }],
    });
    await handle.executeUpdate(recordCallbackUpdate, {
      args: [{ by: { role: 'center' }, reached: true, contacted: true, resolved: true, satisfaction: 'satisfied' }],
    });
    const result = await handle.result();
    expect(result.stage).toBe('closed');

    const events = await listAuditEvents(database.db, order.appealId);
    expect(events.map((e) => e.type)).toEqual([
      'intake',
      'dispatched',
      'accepted',
      'result_reported',
      'callback_attempt',
      'callback_answered',
      'closed',
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(AppealStage)).toBe('closed');
  });
});
