/**
 * Cluster drill: the same idempotent start sent to both API replicas at once (a client that
 * retries through the load balancer, or two intake front-ends behind one key) starts one case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { waterOutage } from '../support/api.js';
import { call, connectDrill, untilAnswered, type Answer, type Drill } from '../support/clusterClient.js';
import { expectIntactRecords } from '../support/faultStack.js';
import { appealWorkflowId } from '../../workflows/appeal/definitions.js';

let drill: Drill;
beforeAll(async () => {
  drill = await connectDrill();
});
afterAll(async () => {
  await drill?.close();
});

interface Started {
  created: boolean;
  case: { appealId: string; stage: string };
}

describe('cluster: one Idempotency-Key sent to both API replicas at once', () => {
  it('starts one workflow and one record; every answer names the same case', async () => {
    const key = `race-${randomUUID()}`;
    const body = waterOutage();
    // Ten identical starts on one workflow id queue up in the server: on a loaded machine some may
    // wait past the start's bound and answer 503, which a client sends again with the same key.
    const seen: Answer<Started>[] = [];
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        untilAnswered(() => call<Started>((i % 2) as 0 | 1, 'intake', 'POST', '/v1/appeals', body, key), 60_000, seen),
      ),
    );
    const byStatus = answers.reduce<Record<number, number>>(
      (n, a) => ({ ...n, [a.status]: (n[a.status] ?? 0) + 1 }),
      {},
    );
    const retried = seen.length > answers.length;
    // One answer says it created the case; the answer of a start that was sent again (its first
    // try may have been the one that started it) says it found it.
    expect(byStatus, seen.map((a) => a.text).join('\n')).toEqual(
      retried ? { 200: 10 - (byStatus[201] ?? 0), ...(byStatus[201] ? { 201: 1 } : {}) } : { 201: 1, 200: 9 },
    );
    expect(answers.filter((a) => a.body.created)).toHaveLength(byStatus[201] ?? 0);
    const ids = new Set(answers.map((a) => a.body.case.appealId));
    expect(ids.size).toBe(1);
    const [appealId] = [...ids] as [string];

    const description = await drill.client.workflow.getHandle(appealWorkflowId(appealId)).describe();
    expect(description.status.name).toBe('RUNNING');
    const records = await drill.db.pool.query<{ n: number }>('select count(*)::int as n from appeals where id = $1', [
      appealId,
    ]);
    expect(records.rows[0]!.n).toBe(1);
    // One reservation of the key (stored per caller: `key:<caller>:<Idempotency-Key>`), naming that case.
    const reservations = await drill.db.pool.query<{ appeal_id: string }>(
      'select appeal_id from idempotency_keys where key like $1',
      [`%:${key}`],
    );
    expect(reservations.rows).toEqual([{ appeal_id: appealId }]);
    const trails = await expectIntactRecords(drill.db, [appealId]);
    expect(trails.get(appealId)!.events.map((e) => e.type)).toEqual(['intake']);

    // The same request later, through either replica, answers the same case.
    for (const replica of [0, 1] as const) {
      const again = await call<Started>(replica, 'intake', 'POST', '/v1/appeals', body, key);
      expect(again.status, again.text).toBe(200);
      expect(again.body).toMatchObject({ created: false, case: { appealId } });
    }
  });
});
