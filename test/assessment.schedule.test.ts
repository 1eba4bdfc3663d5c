/**
 * `monthlyAssessmentWorkflow` and its Schedule (Art. 25), on real servers.
 *
 * The time-skipping test server (sdk-java) does not implement Schedules (sdk-java #1954, closed
 * "no plans": it is meant for single workflows; the first test shows the call refused). So:
 * - on the time-skipping server, the runs a Schedule would make: virtual time skips to 00:30
 *   Beijing time on the 1st, twice (two months), and the workflow is started each time without a
 *   month, as the Schedule starts it; each month is frozen once, a run of a frozen month again by
 *   the same id changes nothing, and a late row lands in the next month;
 * - on the dev server, the Schedule itself: `ensureMonthlyAssessmentSchedule` (one of
 *   `ensureSchedules`) creates it with the spec (1st, 00:30, Asia/Shanghai), a second call leaves the one schedule unchanged, a drifted one is updated, and
 *   `trigger()` runs the workflow, which freezes the month before the run's scheduled time.
 */
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ScheduleClient, WorkflowClient } from '@temporalio/client';
import { connectDevServer, createTimeSkippingEnv, workflowBundle } from './support/temporal.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { insertAssessments } from './support/assessmentRows.js';
import { testLogger } from './support/logger.js';
import { createWorker } from '../worker/createWorker.js';
import { monthlyAssessmentWorkflow } from '../workflows/index.js';
import { monthlyAssessmentWorkflowId, type FreezeOutcome } from '../workflows/assessment/definitions.js';
import { ensureMonthlyAssessmentSchedule, ensureSchedules, scheduleDifferences } from '../scripts/lib/schedules.js';
import { assessments, frozenMonths } from '../db/schema/index.js';
import { monthRanking } from '../db/queries/rates.js';
import { addMonths, beijingMonthOf } from '../domain/months.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('on the time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('has no Schedules', async () => {
    const error = await ensureSchedules(env.connection, env.namespace ?? 'default', 'appeals').catch((e: unknown) => e);
    expect((error as { cause?: { code?: number } }).cause?.code).toBe(status.UNIMPLEMENTED);
  });

  it('freezes the month just ended at 00:30 on the 1st, two months running, each once', async () => {
    const worker = await createWorker({
      connection: env.nativeConnection,
      db: database.db,
      log: testLogger,
      workflowBundle: workflowBundle(),
    });
    // A client that does not unlock time skipping while it waits: the runs need no time to pass.
    const workflows = new WorkflowClient({ connection: env.connection, namespace: env.namespace });
    /** Skips to 00:30 Beijing time on the 1st of the month after `now`, and runs the workflow as the Schedule would. */
    const runAtNextFirst = async () => {
      const now = new Date(await env.currentTimeMs());
      const slot = new Date(`${addMonths(beijingMonthOf(now), 1)}-01T00:30:00+08:00`);
      await env.sleep(slot.getTime() - now.getTime());
      return workflows.execute(monthlyAssessmentWorkflow, {
        taskQueue: 'appeals',
        workflowId: `monthly-assessment-${slot.toISOString()}`,
        args: [],
      });
    };

    await worker.runUntil(async () => {
      const start = new Date(await env.currentTimeMs());
      const first = beijingMonthOf(start);
      const second = addMonths(first, 1);
      // A case closed in the first month, before its end.
      await insertAssessments(database.db, 'ts', [
        { unit: 'beijing-water', at: start.toISOString(), answers: [true, true, 'satisfied'] },
      ]);

      const one = await runAtNextFirst();
      expect(one).toMatchObject({ month: first, frozenNow: true });
      const published = await monthRanking(database.db, first, 'enterprise');
      expect(published.frozenAt).toBe(one.frozenAt);
      expect(published.items[0]).toMatchObject({ unitId: 'beijing-water', rank: 1, valid: 1 });

      // The same month again by id, after the first run completed: idempotent.
      const again = await workflows.execute(monthlyAssessmentWorkflow, {
        taskQueue: 'appeals',
        workflowId: one.workflowId,
        args: [{ month: first }],
      });
      expect(again).toEqual({ ...one, frozenNow: false, rows: 0 });

      // A late callback of a case closed in the first month: the published ranking stays, it counts next month.
      const [late] = await insertAssessments(database.db, 'ts-late', [
        { unit: 'state-grid-beijing', at: start.toISOString(), answers: [true, true, 'satisfied'] },
      ]);
      const [row] = await database.db.select().from(assessments).where(eq(assessments.appealId, late!));
      expect(row!.assessmentMonth).toBe(second);
      expect(await monthRanking(database.db, first, 'enterprise')).toEqual(published);

      const two = await runAtNextFirst();
      expect(two).toMatchObject({ month: second, frozenNow: true });
      expect(two.workflowId).not.toBe(one.workflowId);
      const next = await monthRanking(database.db, second, 'enterprise');
      expect(next.items[0]).toMatchObject({ unitId: 'state-grid-beijing', rank: 1, valid: 1 });

      const frozen = await database.db.select().from(frozenMonths);
      expect(frozen.map((m) => [m.month, m.workflowId])).toEqual([
        [first, one.workflowId],
        [second, two.workflowId],
      ]);
    });
  });
});

describe('the Schedule, on the dev server', () => {
  let env: TestWorkflowEnvironment;
  const taskQueue = `monthly-assessment-test-${randomUUID()}`;
  const scheduleId = `monthly-assessment-test-${randomUUID()}`;
  beforeAll(async () => {
    env = await connectDevServer();
  });
  afterAll(async () => {
    await new ScheduleClient({ connection: env.connection, namespace: env.namespace })
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await env?.teardown();
  });

  it('is created once with its spec, and brought back when it drifts', async () => {
    const namespace = env.namespace ?? 'default';
    expect(await ensureMonthlyAssessmentSchedule(env.connection, namespace, taskQueue, { scheduleId })).toEqual({
      scheduleId,
      change: 'created',
    });
    const schedules = new ScheduleClient({ connection: env.connection, namespace });
    const description = await schedules.getHandle(scheduleId).describe();
    expect(description.spec.timezone).toBe('Asia/Shanghai');
    expect(description.spec.calendars?.[0]).toMatchObject({
      second: [{ start: 0, end: 0 }],
      minute: [{ start: 30, end: 30 }],
      hour: [{ start: 0, end: 0 }],
      dayOfMonth: [{ start: 1, end: 1 }],
    });
    expect(description.action).toMatchObject({ workflowType: 'monthlyAssessmentWorkflow', taskQueue });
    expect(description.policies).toMatchObject({ overlap: 'BUFFER_ONE', catchupWindow: 7 * 24 * 3600 * 1000 });
    expect(scheduleDifferences(description, taskQueue)).toEqual([]);
    // The next run: 00:30 Beijing time on a 1st.
    const next = description.info.nextActionTimes[0]!;
    expect(new Date(next.getTime() + 8 * 3600 * 1000).toISOString()).toMatch(/^\d{4}-\d{2}-01T00:30:00/);

    expect((await ensureMonthlyAssessmentSchedule(env.connection, namespace, taskQueue, { scheduleId })).change).toBe(
      'unchanged',
    );
    expect((await ensureMonthlyAssessmentSchedule(env.connection, namespace, 'elsewhere', { scheduleId })).change).toBe(
      'updated',
    );
    expect((await schedules.getHandle(scheduleId).describe()).action.taskQueue).toBe('elsewhere');
    expect((await ensureMonthlyAssessmentSchedule(env.connection, namespace, taskQueue, { scheduleId })).change).toBe(
      'updated',
    );
    expect((await ensureMonthlyAssessmentSchedule(env.connection, namespace, taskQueue, { scheduleId })).change).toBe(
      'unchanged',
    );

    // One schedule of that id (the list is eventually consistent).
    let listed: string[] = [];
    for (let i = 0; i < 50 && listed.length === 0; i++) {
      listed = [];
      for await (const s of schedules.list()) if (s.scheduleId === scheduleId) listed.push(s.scheduleId);
      if (listed.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(listed).toEqual([scheduleId]);
  });

  it('triggered, runs the workflow, which freezes the month before the run; a second run changes nothing', async () => {
    const namespace = env.namespace ?? 'default';
    await ensureMonthlyAssessmentSchedule(env.connection, namespace, taskQueue, { scheduleId });
    const handle = new ScheduleClient({ connection: env.connection, namespace }).getHandle(scheduleId);
    const workflows = new WorkflowClient({ connection: env.connection, namespace });
    const worker = await createWorker({
      connection: env.nativeConnection,
      namespace,
      taskQueue,
      db: database.db,
      log: testLogger,
      workflowBundle: workflowBundle(),
    });
    const runOnce = async (seen: number) => {
      await handle.trigger();
      for (;;) {
        const actions = (await handle.describe()).info.recentActions;
        if (actions.length > seen) {
          const action = actions[actions.length - 1]!;
          const result = (await workflows.getHandle(action.action.workflow.workflowId).result()) as FreezeOutcome;
          return { result, scheduledAt: action.scheduledAt };
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await worker.runUntil(async () => {
      const first = await runOnce(0);
      const month = addMonths(beijingMonthOf(first.scheduledAt), -1);
      expect(first.result).toMatchObject({ month, frozenNow: true });
      expect(first.result.workflowId).toMatch(new RegExp(`^${scheduleId}-`));
      const second = await runOnce(1);
      expect(second.result).toEqual({ ...first.result, frozenNow: false, rows: 0 });
    });
    expect(monthlyAssessmentWorkflowId('2026-10')).toBe('monthly-assessment-2026-10');
  });
});
