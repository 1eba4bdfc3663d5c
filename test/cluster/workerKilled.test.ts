/**
 * Cluster drill: one of the two worker processes is SIGKILLed while it runs the activities of
 * triage actions (held mid-write by row locks the drill takes on the case records); the other
 * worker finishes every case, and no step is recorded twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { until, waterOutage } from '../support/api.js';
import {
  call,
  connectDrill,
  control,
  startCase,
  untilAnswered,
  type Answer,
  type CaseBody,
  type Drill,
} from '../support/clusterClient.js';
import { expectIntactRecords } from '../support/faultStack.js';
import { appealWorkflowId, caseQuery } from '../../workflows/appeal/definitions.js';

let drill: Drill;
let killed: string | undefined;
beforeAll(async () => {
  drill = await connectDrill();
});
afterAll(async () => {
  // The next drills get both workers back.
  if (killed) await control.act(killed, 'start');
  await drill?.close();
});

/** The workers whose database connections wait for a row lock (their step writes, held by the drill). */
async function lockWaiters(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ application_name: string }>(
    `select application_name from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
  );
  // The cluster names each worker's connections `jiesu-<worker>`.
  return rows.map((r) => r.application_name.replace(/^jiesu-/, ''));
}

describe('cluster: a worker SIGKILLed in the middle of an action', () => {
  it('the other worker finishes every case, each step recorded once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await startCase((i % 2) as 0 | 1, waterOutage()));
    const keys = new Map(ids.map((id) => [id, `triage-${randomUUID()}`]));
    const triage = (id: string, replica: 0 | 1) =>
      call<CaseBody>(replica, 'center', 'POST', `/v1/appeals/${id}/triage`, { disposition: 'dispatch' }, keys.get(id));

    const locker = await drill.db.pool.connect();
    const seen: Answer<CaseBody>[] = [];
    let answered: Promise<Answer<CaseBody>>[] = [];
    let holders: string[] = [];
    try {
      await locker.query('begin');
      await locker.query('select id from appeals where id = any($1) for update', [ids]);
      answered = ids.map((id, i) => untilAnswered(() => triage(id, (i % 2) as 0 | 1), 120_000, seen));
      holders = await until(
        () => lockWaiters(drill.db.pool),
        (waiting) => waiting.length >= ids.length,
        30_000,
      );
      expect(
        holders.every((w) => w === 'worker-1' || w === 'worker-2'),
        holders.join(','),
      ).toBe(true);
      // The worker running the most of them goes, with no warning.
      const counts = holders.reduce<Record<string, number>>((n, w) => ({ ...n, [w]: (n[w] ?? 0) + 1 }), {});
      killed = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]![0];
      const after = await control.act(killed, 'kill');
      expect(after[killed]!.running).toBe(false);
    } finally {
      await locker.query('commit').catch(() => undefined);
      locker.release();
    }

    const results = await Promise.all(answered);
    const logs = await control.logs();
    results.forEach((res, i) => expect(res.status, `${ids[i]}: ${res.text}\n${logs}`).toBe(200));
    expect(seen.every((r) => r.status === 200 || r.status === 503)).toBe(true);
    for (const [i, res] of results.entries())
      expect(res.body, ids[i]).toMatchObject({ stage: 'awaiting_acceptance', leadUnitId: 'beijing-water' });

    const survivor = killed === 'worker-1' ? 'worker-2' : 'worker-1';
    expect((await control.processes())[survivor]!.running).toBe(true);

    // Every case did its action exactly once: one `dispatched` step, a gap-free trail.
    await until(
      () =>
        expectIntactRecords(drill.db, ids).then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      15_000,
    );
    const trails = await expectIntactRecords(drill.db, ids);
    for (const id of ids) {
      expect(
        trails.get(id)!.events.map((e) => e.type),
        id,
      ).toEqual(['intake', 'dispatched']);
      const live = await drill.client.workflow.getHandle(appealWorkflowId(id)).query(caseQuery);
      expect(live.timeline.filter((e) => e.type === 'dispatched')).toHaveLength(1);
    }
    // A retry with the same key, through the other replica, answers the first outcome.
    for (const [i, id] of ids.entries()) {
      const again = await triage(id, (1 - (i % 2)) as 0 | 1);
      expect(again.status, again.text).toBe(200);
      expect(again.body).toEqual(results[i]!.body);
    }
  });
});
