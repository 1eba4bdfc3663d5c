/**
 * Fault drill: the worker process is SIGKILLed while triage actions are in flight and their
 * activities are running (held mid-write by row locks the drill takes on the case records),
 * and more actions arrive while no worker runs. A new worker process takes over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type pg from 'pg';
import {
  auditTrails,
  DrillStack,
  expect503sCarryRetryAfter,
  expectIntactRecords,
  retryUntilAnswered,
} from '../support/faultStack.js';
import { until, waterOutage } from '../support/api.js';
import { appealWorkflowId, caseQuery } from '../../workflows/appeal/definitions.js';

let stack: DrillStack;

beforeAll(async () => {
  // Short enough that an action held up by the kill answers 503 and the client retries it.
  stack = await DrillStack.start({ workflowTimeoutMs: 10_000 });
});
afterAll(async () => {
  await stack?.close();
});

interface CaseBody {
  appealId: string;
  stage: string;
  leadUnitId?: string;
  deadlines: Record<string, string>;
  timeline: { type: string }[];
}

/** Backends of the drill's database waiting for a row lock (the worker's step writes held by the drill). */
async function lockWaiters(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
  );
  return rows[0]!.n;
}

describe('fault drill: the worker is SIGKILLed mid-action and mid-activity', () => {
  it('every case finishes its action once; a retry with the same Idempotency-Key answers the first outcome', async () => {
    const deadline = Date.now() + 80_000;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await stack.call('intake', 'POST', '/v1/appeals', waterOutage(), `start-${randomUUID()}`);
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json<{ case: { appealId: string } }>().case.appealId);
    }
    const held = ids.slice(0, 4);
    const late = ids.slice(4);
    const keys = new Map(ids.map((id) => [id, `triage-${randomUUID()}`]));
    const triage = (id: string) =>
      stack.call('center', 'POST', `/v1/appeals/${id}/triage`, { disposition: 'dispatch' }, keys.get(id));

    // The drill holds the first four case records: their `dispatched` step writes block mid-transaction.
    const locker = await stack.pg.handle.pool.connect();
    const seen: LightMyRequestResponse[] = [];
    let answered: Promise<LightMyRequestResponse>[] = [];
    try {
      await locker.query('begin');
      await locker.query('select id from appeals where id = any($1) for update', [held]);
      answered = held.map((id) => retryUntilAnswered(() => triage(id), deadline, seen));
      const waiting = await until(
        () => lockWaiters(stack.pg.handle.pool),
        (n) => n >= held.length,
        20_000,
      );
      expect(waiting, 'the held step writes are in flight').toBeGreaterThanOrEqual(held.length);

      // SIGKILL: the Updates are accepted but unanswered, the recordStep activities started and unfinished.
      const first = stack.worker;
      await first.kill();
      expect(first.alive).toBe(false);
      // Two more actions while no worker runs at all.
      answered.push(...late.map((id) => retryUntilAnswered(() => triage(id), deadline, seen)));
    } finally {
      await locker.query('commit').catch(() => undefined);
      locker.release();
    }
    await stack.startWorker();

    const results = await Promise.all(answered);
    const order = [...held, ...late];
    results.forEach((res, i) => expect(res.statusCode, `${order[i]}: ${res.body}\n${stack.workerLogs()}`).toBe(200));
    expect503sCarryRetryAfter(seen);
    expect(seen.every((r) => r.statusCode === 200 || r.statusCode === 503)).toBe(true);
    const firstOutcome = new Map(order.map((id, i) => [id, results[i]!.json<CaseBody>()]));
    for (const [id, body] of firstOutcome)
      expect(body, id).toMatchObject({ appealId: id, stage: 'awaiting_acceptance', leadUnitId: 'beijing-water' });

    // Every case did its action exactly once: one record, one `dispatched` step, a gap-free trail.
    const trails = await until(
      () => auditTrails(stack.pg.handle, ids),
      (t) => ids.every((id) => t.get(id)?.events.some((e) => e.type === 'dispatched')),
      15_000,
    );
    expect(trails.size, 'a case record for every appeal').toBe(ids.length);
    const settled = await expectIntactRecords(stack.pg.handle, ids);
    for (const id of ids) {
      expect(
        settled.get(id)!.events.map((e) => e.type),
        id,
      ).toEqual(['intake', 'dispatched']);
      const record = await stack.pg.handle.pool.query<{ stage: string; lead_unit_id: string }>(
        'select stage, lead_unit_id from appeals where id = $1',
        [id],
      );
      expect(record.rows).toEqual([{ stage: 'awaiting_acceptance', lead_unit_id: 'beijing-water' }]);
      const live = await stack.client.workflow.getHandle(appealWorkflowId(id)).query(caseQuery);
      expect(live.timeline.filter((e) => e.type === 'dispatched')).toHaveLength(1);
    }

    // The same action with the same key: the first outcome again, nothing recorded twice.
    for (const id of ids) {
      const again = await triage(id);
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json<CaseBody>()).toEqual(firstOutcome.get(id));
    }
    // (A new key is a new action: the stage has moved on, so it is refused, not applied again.)
    const fresh = await stack.call(
      'center',
      'POST',
      `/v1/appeals/${ids[0]}/triage`,
      { disposition: 'dispatch' },
      `triage-${randomUUID()}`,
    );
    expect(fresh.statusCode, fresh.body).toBe(409);
    const after = await expectIntactRecords(stack.pg.handle, ids);
    for (const id of ids) expect(after.get(id)!.lastSeq, id).toBe(settled.get(id)!.lastSeq);
  });
});
