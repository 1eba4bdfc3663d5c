/**
 * Cluster drill: the history service (the shard owner of every workflow) is SIGKILLed with open
 * cases and started again after an acceptance deadline came due. Every open case goes on, and
 * the timer that came due while history was gone fires after the restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { until, waterOutage } from '../support/api.js';
import {
  call,
  connectDrill,
  control,
  startCase,
  untilAnswered,
  type CaseBody,
  type Drill,
} from '../support/clusterClient.js';
import { auditTrails, expectIntactRecords } from '../support/faultStack.js';
import { addFastPolicy, routeCategoryTo } from '../support/fastPolicies.js';
import { appealWorkflowId, caseQuery } from '../../workflows/appeal/definitions.js';

/** Seconds a gas leak's unit has to accept it, from this drill on (policies are read at dispatch). */
const ACCEPTANCE_SECONDS = 12;

let drill: Drill;
let historyDown = false;
beforeAll(async () => {
  drill = await connectDrill();
  const database = { ...drill.db, url: '', drop: async () => undefined };
  await addFastPolicy(database, {
    code: 'cluster-fast-acceptance',
    seconds: { acceptance: ACCEPTANCE_SECONDS },
    // Reminders first: no escalation while the drill looks.
    reminderLimits: [3, 1, 1],
  });
  await routeCategoryTo(database, 'utilities.gas.leak', 'cluster-fast-acceptance');
});
afterAll(async () => {
  if (historyDown) await control.act('temporal-history', 'start');
  await drill?.close();
});

const gasLeak = () => ({ ...waterOutage(), categoryCode: 'utilities.gas.leak', content: '楼道有燃气味' });

async function dispatch(id: string): Promise<CaseBody> {
  const key = `triage-${randomUUID()}`;
  const res = await untilAnswered(
    () => call<CaseBody>(1, 'center', 'POST', `/v1/appeals/${id}/triage`, { disposition: 'dispatch' }, key),
    60_000,
  );
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe('cluster: the history service killed and restarted mid-case', () => {
  it('keeps every open case, and a deadline that came due while it was down fires after the restart', async () => {
    const inTriage = await startCase(0, waterOutage());
    const awaiting = await dispatch(await startCase(1, waterOutage()));
    const gas = await dispatch(await startCase(0, gasLeak()));
    expect(gas).toMatchObject({ stage: 'awaiting_acceptance', overdue: false });
    const due = Date.parse(gas.deadlines.acceptance!);

    const before = (await control.processes())['temporal-history']!;
    historyDown = true;
    await control.act('temporal-history', 'kill');
    const killedAt = Date.now();
    expect(killedAt, 'killed before the acceptance deadline').toBeLessThan(due);

    // Meanwhile the API cannot act on a case: a 503 that says when to come back.
    const action = await call(0, 'water', 'POST', `/v1/appeals/${awaiting.appealId}/accept`, {});
    expect(action.status, action.text).toBe(503);
    expect(action.headers.get('retry-after')).toBeTruthy();

    await until(
      () => Date.now(),
      (now) => now > due + 1_000,
      (ACCEPTANCE_SECONDS + 30) * 1_000,
    );
    const whileDown = await auditTrails(drill.db, [gas.appealId]);
    expect(whileDown.get(gas.appealId)!.events.map((e) => e.type)).toEqual(['intake', 'dispatched']);

    const restartedAt = Date.now();
    const after = await control.act('temporal-history', 'start');
    historyDown = false;
    expect(after['temporal-history']!.pid).not.toBe(before.pid);

    // Every open case is still there, as it was (the shards move to the new process first).
    const query = (id: string) => drill.client.workflow.getHandle(appealWorkflowId(id)).query(caseQuery);
    const triaged = await until(
      () => query(inTriage).catch(() => undefined),
      (c) => c !== undefined,
      60_000,
    );
    expect(triaged!.stage).toBe('triage');
    expect(await query(awaiting.appealId)).toMatchObject({
      stage: 'awaiting_acceptance',
      deadlines: awaiting.deadlines,
      overdue: false,
    });

    // The missed acceptance fires now: overdue, recorded once, the unit reminded.
    const overdue = await until(
      () => query(gas.appealId),
      (c) => c.overdue && c.timeline.some((e) => e.type === 'acceptance_reminder'),
      60_000,
    );
    const fired = overdue.timeline.find((e) => e.type === 'acceptance_overdue');
    expect(fired, 'acceptance_overdue in the timeline').toBeDefined();
    expect(Date.parse(fired!.at), 'fired after the restart').toBeGreaterThanOrEqual(restartedAt - 1_000);

    // The API acts again, through both replicas.
    const accepted = await untilAnswered(
      () =>
        call<CaseBody>(
          0,
          'water',
          'POST',
          `/v1/appeals/${awaiting.appealId}/accept`,
          {},
          `accept-${awaiting.appealId}`,
        ),
      60_000,
    );
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.stage).toBe('handling');
    const dispatched = await dispatch(inTriage);
    expect(dispatched.stage).toBe('awaiting_acceptance');

    const trails = await expectIntactRecords(drill.db, [inTriage, awaiting.appealId, gas.appealId]);
    const gasSteps = trails.get(gas.appealId)!.events.map((e) => e.type);
    expect(gasSteps.filter((t) => t === 'acceptance_overdue')).toHaveLength(1);
    expect(gasSteps.slice(0, 3)).toEqual(['intake', 'dispatched', 'acceptance_overdue']);
  });
});
