import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv, workflowBundle } from './support/temporal.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { testLogger } from './support/logger.js';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { createWorker } from '../worker/createWorker.js';
import { appealWorkflow } from '../workflows/index.js';
import {
  acceptDispatchUpdate,
  appealWorkflowId,
  intakeRecordedUpdate,
  reportResultUpdate,
  TASK_QUEUE,
  triageAppealUpdate,
  type WorkOrder,
} from '../workflows/appeal/definitions.js';
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
    // New-home delivery in Haidian: the "complex" policy, 15 natural days of handling.
    const order: WorkOrder = {
      appealId: 'ts-15-days',
      channel: 'phone',
      appealType: 'complaint',
      categoryCode: 'housing.new_home_delivery',
      content: '新房逾期未交付',
      districtId: 'haidian',
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

    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(appealWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: appealWorkflowId(order.appealId),
        args: [order],
      });
      await handle.executeUpdate(triageAppealUpdate, { args: [{ by: { role: 'center' }, disposition: 'dispatch' }] });
      await handle.executeUpdate(acceptDispatchUpdate, { args: [{ by: { role: 'unit', unitId: 'haidian-housing' } }] });
      await handle.executeUpdate(reportResultUpdate, {
        args: [{ by: { role: 'unit', unitId: 'haidian-housing' }, outcome: 'resolved', summary: '已交房' }],
      });
      // Waiting on the result lets the test server skip: to the handling deadline, then through every callback attempt.
      return handle.result();
    });

    const virtualElapsed = (await env.currentTimeMs()) - virtualStart;
    const wallElapsed = Date.now() - wallStart;
    expect(result.stage).toBe('closed');
    expect(result.callback).toMatchObject({ attempts: 3, reached: false });
    expect(virtualElapsed).toBeGreaterThanOrEqual(15 * 24 * 3600 * 1000);
    // The point of time skipping: fifteen virtual days pass in seconds of wall time.
    expect(wallElapsed).toBeLessThan(60_000);

    const record = await getAppealRecord(database.db, order.appealId);
    expect(record?.stage).toBe('closed');
    expect(record!.closedAt!.getTime() - record!.receivedAt.getTime()).toBeGreaterThanOrEqual(15 * 24 * 3600 * 1000);
  });

  it('serves what the service relies on: update-with-start, and the writes of a case as local activities', async () => {
    const order: WorkOrder = {
      appealId: 'ts-update-with-start',
      channel: 'phone',
      appealType: 'help',
      categoryCode: 'utilities.water.outage',
      content: '小区停水',
      districtId: 'chaoyang',
      requester: { name: '李四', phone: '13900000001' },
      receivedAt: new Date(await env.currentTimeMs()).toISOString(),
    };
    const worker = await createWorker({
      connection: env.nativeConnection,
      db: database.db,
      log: testLogger,
      workflowBundle: workflowBundle(),
    });
    const start = new WithStartWorkflowOperation(appealWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: appealWorkflowId(order.appealId),
      args: [order],
      workflowIdConflictPolicy: 'FAIL',
    });
    // As POST /v1/appeals does: one call starts the case and answers once its intake is recorded.
    const fresh = await worker.runUntil(
      env.client.workflow.executeUpdateWithStart(intakeRecordedUpdate, { startWorkflowOperation: start }),
    );
    expect(fresh).toMatchObject({ appealId: order.appealId, stage: 'triage' });
    // The record has the case the start answered with (the triage hints too).
    expect(await getAppealRecord(database.db, order.appealId)).toMatchObject({ stage: 'triage', currentCase: fresh });
    // The intake is written by a local activity (a marker), not scheduled as an activity task.
    const history = await (await start.workflowHandle()).fetchHistory();
    const local = (history.events ?? []).flatMap((e) => {
      const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      return data ? [(JSON.parse(Buffer.from(data).toString()) as { activity_type: string }).activity_type] : [];
    });
    expect(local).toContain('recordIntakeWithHints');
    const scheduled = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    expect(scheduled).not.toContain('recordIntakeWithHints');
  });
});
