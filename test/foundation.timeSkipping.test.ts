import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv, workflowBundle } from './support/temporal.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { testLogger } from './support/logger.js';
import { createWorker } from '../worker/createWorker.js';
import { appealWorkflow } from '../workflows/index.js';
import { appealWorkflowId, TASK_QUEUE, type WorkOrder } from '../workflows/appeal/definitions.js';
import { getAppealRecord } from '../db/queries/cases.js';

let env: TestWorkflowEnvironment;
let database: TestDatabase;

beforeAll(async () => {
  [env, database] = await Promise.all([createTimeSkippingEnv(), createTestDatabase()]);
});
afterAll(async () => {
  await env?.teardown();
  await database?.drop();
});

describe('time-skipping test server (sdk-java native build)', () => {
  it('runs a 15-day handling deadline in virtual time, not wall time', async () => {
    const order: WorkOrder = {
      appealId: 'ts-15-days',
      channel: 'phone',
      appealType: 'complaint',
      categoryCode: 'environment.noise',
      content: '夜间施工噪音扰民',
      requester: { name: '张三', phone: '13800000000' },
      receivedAt: new Date(await env.currentTimeMs()).toISOString(),
    };
    const worker = await createWorker({
      connection: env.nativeConnection,
      db: database.db,
      log: testLogger,
      workflowBundle: workflowBundle(),
    });
    const virtualStart = await env.currentTimeMs();
    const wallStart = Date.now();

    const result = await worker.runUntil(
      env.client.workflow.execute(appealWorkflow, { taskQueue: TASK_QUEUE, workflowId: appealWorkflowId(order.appealId), args: [order] }),
    );

    const virtualElapsed = (await env.currentTimeMs()) - virtualStart;
    const wallElapsed = Date.now() - wallStart;
    expect(result.stage).toBe('closed');
    expect(virtualElapsed).toBeGreaterThanOrEqual(15 * 24 * 3600 * 1000);
    // The point of time skipping: fifteen virtual days pass in seconds of wall time.
    expect(wallElapsed).toBeLessThan(60_000);

    const record = await getAppealRecord(database.db, order.appealId);
    expect(record?.stage).toBe('closed');
    expect(record!.closedAt!.getTime() - record!.receivedAt.getTime()).toBeGreaterThanOrEqual(15 * 24 * 3600 * 1000);
  });
});
