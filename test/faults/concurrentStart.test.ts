/**
 * Fault drill: 50 callers race to start one appeal with the same Idempotency-Key (a client that
 * retries eagerly, or several intake front-ends behind one key), over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { DrillStack, expectIntactRecords, countAppealWorkflows } from '../support/faultStack.js';
import { TEST_KEYS, waterOutage } from '../support/api.js';
import { appealWorkflowId } from '../../workflows/appeal/definitions.js';

let stack: DrillStack;
let base: string;

beforeAll(async () => {
  stack = await DrillStack.start();
  // Port 0: the system gives a free port at the bind, so nothing can take it in between.
  base = await stack.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await stack?.close();
});

interface Started {
  created: boolean;
  case: { appealId: string; stage: string };
}

describe('fault drill: one Idempotency-Key, 50 concurrent starts', () => {
  it('starts one workflow and one record: one 201, 49 × 200 created:false, all the same appeal', async () => {
    const key = `race-${randomUUID()}`;
    const body = JSON.stringify(waterOutage());
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(`${base}/v1/appeals`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${TEST_KEYS.intake.key}`,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
          body,
        });
        return { status: res.status, body: (await res.json()) as Started };
      }),
    );

    const byStatus = answers.reduce<Record<number, number>>(
      (n, a) => ({ ...n, [a.status]: (n[a.status] ?? 0) + 1 }),
      {},
    );
    expect(byStatus, JSON.stringify(answers.filter((a) => a.status >= 300).slice(0, 3))).toEqual({ 201: 1, 200: 49 });
    const created = answers.filter((a) => a.body.created === true);
    expect(created).toHaveLength(1);
    expect(created[0]!.status).toBe(201);
    expect(answers.filter((a) => a.status === 200).every((a) => a.body.created === false)).toBe(true);
    const ids = new Set(answers.map((a) => a.body.case.appealId));
    expect(ids.size).toBe(1);
    const [appealId] = [...ids] as [string];

    // One workflow, one case record with its intake step once, one reservation of the key.
    expect(await countAppealWorkflows(stack.client, 1)).toBe(1);
    const description = await stack.client.workflow.getHandle(appealWorkflowId(appealId)).describe();
    expect(description.status.name).toBe('RUNNING');
    const records = await stack.pg.handle.pool.query<{ id: string }>('select id from appeals');
    expect(records.rows.map((r) => r.id)).toEqual([appealId]);
    const trails = await expectIntactRecords(stack.pg.handle, [appealId]);
    expect(trails.get(appealId)!.events.map((e) => e.type)).toEqual(['intake']);
    const reservations = await stack.pg.handle.pool.query<{ appeal_id: string }>(
      'select appeal_id from idempotency_keys',
    );
    expect(reservations.rows).toEqual([{ appeal_id: appealId }]);
  });
});
