/**
 * Fault drill: the Temporal dev server is stopped with open cases and started again on its
 * SQLite file. The cases are still there, and an acceptance deadline that came due while the
 * server was down fires once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { DrillStack, auditTrails, expectIntactRecords } from '../support/faultStack.js';
import { until, waterOutage } from '../support/api.js';
import { addFastPolicy, routeCategoryTo } from '../support/fastPolicies.js';
import { appealWorkflowId, caseQuery } from '../../workflows/appeal/definitions.js';

/** Seconds a gas leak's unit has to accept it in this drill's database. */
const ACCEPTANCE_SECONDS = 8;

let stack: DrillStack;

beforeAll(async () => {
  stack = await DrillStack.start({
    workflowTimeoutMs: 5_000,
    prepare: async (pg) => {
      const database = pg.asTestDatabase();
      await addFastPolicy(database, {
        code: 'faults-fast-acceptance',
        seconds: { acceptance: ACCEPTANCE_SECONDS },
        // Reminders first: no escalation while the drill looks.
        reminderLimits: [3, 1, 1],
      });
      await routeCategoryTo(database, 'utilities.gas.leak', 'faults-fast-acceptance');
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

interface CaseBody {
  appealId: string;
  stage: string;
  overdue: boolean;
  deadlines: Record<string, string>;
  timeline: { type: string; at: string }[];
}

async function start(body: object): Promise<string> {
  const res = await stack.call('intake', 'POST', '/v1/appeals', body, `start-${randomUUID()}`);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ case: { appealId: string } }>().case.appealId;
}

async function dispatch(id: string): Promise<CaseBody> {
  const res = await stack.call('center', 'POST', `/v1/appeals/${id}/triage`, { disposition: 'dispatch' });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<CaseBody>();
}

const gasLeak = () => ({ ...waterOutage(), categoryCode: 'utilities.gas.leak', content: '楼道有燃气味' });

describe('fault drill: the Temporal dev server stops and restarts on its SQLite file', () => {
  it('keeps the open cases, and a deadline that passed while it was down fires after the restart', async () => {
    const inTriage = await start(waterOutage());
    const awaiting = await dispatch(await start(waterOutage()));
    const gas = await dispatch(await start(gasLeak()));
    expect(gas).toMatchObject({ stage: 'awaiting_acceptance', overdue: false });
    const due = Date.parse(gas.deadlines.acceptance!);

    await stack.temporal.stop();
    const stoppedAt = Date.now();
    // The server was gone before the deadline: whatever fires it, fires after the restart.
    expect(stoppedAt, 'stopped before the acceptance deadline').toBeLessThan(due);

    // Meanwhile a read still answers from the case record (no overdue yet); an action needs
    // Temporal: the API says it is away and when to come back.
    const read = await stack.call('supervisor', 'GET', `/v1/appeals/${gas.appealId}`);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toMatchObject({ stage: 'awaiting_acceptance', overdue: false, source: 'record' });
    const action = await stack.call('water', 'POST', `/v1/appeals/${awaiting.appealId}/accept`, {});
    expect(action.statusCode, action.body).toBe(503);
    expect(action.headers['retry-after']).toBeDefined();
    const ready = await stack.call('supervisor', 'GET', '/health/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ checks: { temporal: { status: 'down' }, postgres: { status: 'ok' } } });

    // Down until the deadline has passed (by a second).
    await until(
      () => Date.now(),
      (now) => now > due + 1_000,
      (ACCEPTANCE_SECONDS + 5) * 1_000,
    );
    const whileDown = await auditTrails(stack.pg.handle, [gas.appealId]);
    expect(whileDown.get(gas.appealId)!.events.map((e) => e.type)).toEqual(['intake', 'dispatched']);
    expect(stack.worker.alive, `the worker outlives the outage\n${stack.workerLogs()}`).toBe(true);

    const restartedAt = Date.now();
    await stack.temporal.start();

    // Every open case is still there, as it was.
    for (const id of [inTriage, awaiting.appealId, gas.appealId]) {
      const description = await stack.client.workflow.getHandle(appealWorkflowId(id)).describe();
      expect(description.status.name, id).toBe('RUNNING');
    }
    const query = (id: string) => stack.client.workflow.getHandle(appealWorkflowId(id)).query(caseQuery);
    expect((await query(inTriage)).stage).toBe('triage');
    expect(await query(awaiting.appealId)).toMatchObject({
      stage: 'awaiting_acceptance',
      deadlines: awaiting.deadlines,
      overdue: false,
    });

    // The missed acceptance fires now: overdue, recorded once, the unit reminded.
    const overdue = await until(
      () => query(gas.appealId),
      (c) => c.overdue && c.timeline.some((e) => e.type === 'acceptance_reminder'),
      30_000,
    );
    expect(overdue, stack.workerLogs()).toMatchObject({ stage: 'awaiting_acceptance', overdue: true });
    const fired = overdue.timeline.find((e) => e.type === 'acceptance_overdue');
    expect(fired, 'acceptance_overdue in the timeline').toBeDefined();
    expect(Date.parse(fired!.at), 'fired after the restart').toBeGreaterThanOrEqual(restartedAt - 1_000);
    expect(Date.parse(fired!.at)).toBeGreaterThan(stoppedAt);

    const record = await until(
      async () =>
        (
          await stack.pg.handle.pool.query<{ overdue: boolean }>('select overdue from appeals where id = $1', [
            gas.appealId,
          ])
        ).rows[0],
      (r) => r?.overdue === true,
      10_000,
    );
    expect(record).toEqual({ overdue: true });

    // The API is back for reads and actions.
    const api = await until(
      () => stack.call('supervisor', 'GET', `/v1/appeals/${gas.appealId}`),
      (r) => r.statusCode === 200,
      10_000,
    );
    expect(api.json<CaseBody>()).toMatchObject({ overdue: true, stage: 'awaiting_acceptance' });
    const accepted = await stack.call('water', 'POST', `/v1/appeals/${awaiting.appealId}/accept`, {}, randomUUID());
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json<CaseBody>().stage).toBe('handling');

    const trails = await expectIntactRecords(stack.pg.handle, [inTriage, awaiting.appealId, gas.appealId]);
    const gasSteps = trails.get(gas.appealId)!.events.map((e) => e.type);
    expect(gasSteps.filter((t) => t === 'acceptance_overdue')).toHaveLength(1);
    expect(gasSteps.slice(0, 3)).toEqual(['intake', 'dispatched', 'acceptance_overdue']);
  });
});
