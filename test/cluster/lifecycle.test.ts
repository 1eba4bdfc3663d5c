/**
 * Cluster drill: one case from intake to its assessment, only through the two API processes
 * (each action through the other replica than the one before), on the real Temporal server
 * with its services as separate processes and two worker processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until, waterOutage } from '../support/api.js';
import { call, connectDrill, startCase, type CaseBody, type Drill } from '../support/clusterClient.js';
import { expectIntactRecords } from '../support/faultStack.js';
import { scheduleDifferences } from '../../scripts/lib/schedules.js';
import { MONTHLY_ASSESSMENT_SCHEDULE_ID } from '../../workflows/assessment/definitions.js';
import { TASK_QUEUE } from '../../workflows/appeal/definitions.js';

let drill: Drill;
beforeAll(async () => {
  drill = await connectDrill();
});
afterAll(async () => {
  await drill?.close();
});

describe('cluster: a case from intake to assessment', () => {
  it('runs every step through both API replicas and ends with its assessment', async () => {
    const id = await startCase(0, waterOutage());
    const steps = [
      ['center', 'triage', { disposition: 'dispatch' }],
      ['water', 'accept', {}],
      ['water', 'first-contact', { note: '已电话联系' }],
      ['water', 'result', { outcome: 'resolved', summary: '已恢复供水' }],
    ] as const;
    let replica: 0 | 1 = 1;
    for (const [caller, action, payload] of steps) {
      const res = await call<CaseBody>(replica, caller, 'POST', `/v1/appeals/${id}/${action}`, payload);
      expect(res.status, `${action} via API ${replica + 1}: ${res.text}`).toBe(200);
      replica = replica === 0 ? 1 : 0;
    }
    await until(
      async () => (await call<CaseBody>(replica, 'center', 'GET', `/v1/appeals/${id}`)).body,
      (c) => c.stage === 'callback',
      30_000,
    );
    const callback = await call<CaseBody>(replica, 'center', 'POST', `/v1/appeals/${id}/callback`, {
      reached: true,
      contacted: true,
      resolved: true,
      satisfaction: 'satisfied',
      channel: 'phone',
    });
    expect(callback.status, callback.text).toBe(200);

    const closed = await until(
      async () => (await call<CaseBody & { source: string }>(0, 'supervisor', 'GET', `/v1/appeals/${id}`)).body,
      (c) => c.stage === 'closed',
      30_000,
    );
    expect(closed.timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['callback_answered', 'closed']));
    const assessment = await until(
      async () =>
        (
          await call<{ items: { unitId: string; callbackValid: boolean }[] }>(
            1,
            'center',
            'GET',
            `/v1/assessments/${id}`,
          )
        ).body,
      (r) => r.items?.length === 1,
      30_000,
    );
    expect(assessment.items[0]).toMatchObject({ unitId: 'beijing-water', callbackValid: true });
    await expectIntactRecords(drill.db, [id]);
  });
});

describe('cluster: the monthly assessment', () => {
  it('is scheduled by the cluster set-up: the 1st of each month at 00:30 Beijing time', async () => {
    const schedule = await drill.client.schedule.getHandle(MONTHLY_ASSESSMENT_SCHEDULE_ID).describe();
    expect(schedule.spec.timezone).toBe('Asia/Shanghai');
    expect(scheduleDifferences(schedule, TASK_QUEUE)).toEqual([]);
  });
});
