/**
 * Cluster drill: a rolling deploy. While cases are open and actions keep arriving, the two
 * workers are restarted one at a time onto a newly built workflow bundle (each stopped with
 * SIGTERM, so it finishes its tasks, and ready before the next goes). Nothing breaks: every
 * request is answered, no workflow task fails, and the open cases run on to their close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { temporal } from '../../scripts/lib/temporalProto.js';
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
import { expectIntactRecords } from '../support/faultStack.js';
import { appealWorkflowId } from '../../workflows/appeal/definitions.js';

let drill: Drill;
beforeAll(async () => {
  drill = await connectDrill();
});
afterAll(async () => {
  await drill?.close();
});

/** One action, retried with its key while the API answers 503. */
async function act(replica: 0 | 1, caller: 'center' | 'water', id: string, action: string, payload: object) {
  const key = `${action}-${randomUUID()}`;
  const res = await untilAnswered(
    () => call<CaseBody>(replica, caller, 'POST', `/v1/appeals/${id}/${action}`, payload, key),
    90_000,
  );
  expect(res.status, `${action} ${id}: ${res.text}`).toBe(200);
  return res.body;
}

async function closeCase(id: string, from: 'triage' | 'awaiting_acceptance'): Promise<void> {
  if (from === 'triage') await act(0, 'center', id, 'triage', { disposition: 'dispatch' });
  await act(1, 'water', id, 'accept', {});
  await act(0, 'water', id, 'result', { outcome: 'resolved', summary: '已恢复供水' });
  await until(
    async () => (await call<CaseBody>(1, 'center', 'GET', `/v1/appeals/${id}`)).body,
    (c) => c.stage === 'callback',
    30_000,
  );
  await act(1, 'center', id, 'callback', {
    reached: true,
    contacted: true,
    resolved: true,
    satisfaction: 'satisfied',
    channel: 'phone',
  });
}

describe('cluster: workers restarted one at a time onto a new workflow bundle', () => {
  it('answers every request during the deploy, and the open cases run on to their close', async () => {
    const inTriage = [await startCase(0, waterOutage()), await startCase(1, waterOutage())];
    const awaiting = [await startCase(0, waterOutage()), await startCase(1, waterOutage())];
    for (const id of awaiting) await act(1, 'center', id, 'triage', { disposition: 'dispatch' });
    const before = await control.processes();

    // Traffic while the deploy runs: new cases started and dispatched, through both replicas.
    let deploying = true;
    const during: string[] = [];
    const traffic = (async () => {
      for (let i = 0; deploying || i < 2; i++) {
        const id = await startCase((i % 2) as 0 | 1, waterOutage());
        await act(((i + 1) % 2) as 0 | 1, 'center', id, 'triage', { disposition: 'dispatch' });
        during.push(id);
      }
    })();
    const deployed = await control.deploy().finally(() => (deploying = false));
    await traffic;
    expect(during.length).toBeGreaterThanOrEqual(2);

    for (const name of ['worker-1', 'worker-2']) {
      expect(deployed.processes[name]!.running, name).toBe(true);
      expect(deployed.processes[name]!.pid, name).not.toBe(before[name]!.pid);
      expect(deployed.processes[name]!.restarts, name).toBe(before[name]!.restarts + 1);
    }

    for (const id of inTriage) await closeCase(id, 'triage');
    for (const id of [...awaiting, ...during]) await closeCase(id, 'awaiting_acceptance');
    const all = [...inTriage, ...awaiting, ...during];
    for (const id of all) {
      const closed = await until(
        async () => (await call<CaseBody>(0, 'supervisor', 'GET', `/v1/appeals/${id}`)).body,
        (c) => c.stage === 'closed',
        30_000,
      );
      expect(closed.stage).toBe('closed');
      // No workflow task failed on either bundle (a non-deterministic change would show here).
      const handle = drill.client.workflow.getHandle(appealWorkflowId(id));
      const history = await handle.fetchHistory();
      const failed = (history.events ?? []).filter(
        (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
      );
      expect(failed, `${id}: workflow task failures`).toEqual([]);
    }
    await expectIntactRecords(drill.db, all);
  });
});
