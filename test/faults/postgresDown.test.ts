/**
 * Fault drill: PostgreSQL stops while appeals are being started and triaged. The API answers 503
 * with Retry-After meanwhile, the worker's activities retry, and once PostgreSQL is back (and
 * clients have retried their 503s with the same Idempotency-Key) nothing is missing or doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import {
  countAppealWorkflows,
  DrillStack,
  expect503sCarryRetryAfter,
  expectIntactRecords,
  retryUntilAnswered,
} from '../support/faultStack.js';
import { until, waterOutage } from '../support/api.js';

let stack: DrillStack;

beforeAll(async () => {
  // An action the workflow cannot finish while PostgreSQL is down answers 503 after 5 s.
  stack = await DrillStack.start({ workflowTimeoutMs: 5_000 });
});
afterAll(async () => {
  await stack?.close();
});

interface Started {
  created: boolean;
  case: { appealId: string; stage: string };
}

/**
 * The highest attempt among the case activities that failed in the worker, as its log says: the
 * case's reads and writes are local activities, which the server does not list as pending.
 */
function failedAttempt(): number {
  let highest = 0;
  for (const line of stack.worker.output.split('\n')) {
    if (!line.includes('"Activity failed"')) continue;
    try {
      const entry = JSON.parse(line) as { attempt?: number };
      highest = Math.max(highest, entry.attempt ?? 0);
    } catch {
      // a line cut by the output's window
    }
  }
  return highest;
}

describe('fault drill: PostgreSQL stops while cases are being written', () => {
  it('answers 503 with Retry-After meanwhile; afterwards every case has its record and its steps once', async () => {
    const deadline = Date.now() + 75_000;
    const seen: LightMyRequestResponse[] = [];
    const startKeys: string[] = [];
    const startWith = (key: string) => {
      startKeys.push(key);
      return retryUntilAnswered(() => stack.call('intake', 'POST', '/v1/appeals', waterOutage(), key), deadline, seen);
    };
    const triageKeys = new Map<string, string>();
    const triage = (id: string) => {
      const key = triageKeys.get(id) ?? `triage-${randomUUID()}`;
      triageKeys.set(id, key);
      return retryUntilAnswered(
        () => stack.call('center', 'POST', `/v1/appeals/${id}/triage`, { disposition: 'dispatch' }, key),
        deadline,
        seen,
      );
    };

    // Four cases open before the outage.
    const before: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await startWith(`before-${randomUUID()}`);
      expect(res.statusCode, res.body).toBe(201);
      before.push(res.json<Started>().case.appealId);
    }

    // Triage of those four and four new starts are under way when PostgreSQL stops.
    const inFlight = [...before.map(triage), ...Array.from({ length: 4 }, () => startWith(`during-${randomUUID()}`))];
    // Down as soon as the first new start has reserved its key (its workflow starts, its intake is to be written).
    await until(
      async () =>
        (await stack.pg.handle.pool.query<{ n: number }>('select count(*)::int as n from idempotency_keys')).rows[0]!.n,
      (n) => n > before.length,
      10_000,
    );
    await stack.pg.down();

    // Meanwhile: the API says so, and when to come back.
    const started = await stack.call('intake', 'POST', '/v1/appeals', waterOutage(), `probe-${randomUUID()}`);
    expect(started.statusCode, started.body).toBe(503);
    expect(started.headers['retry-after']).toBeDefined();
    const listed = await stack.call('supervisor', 'GET', '/v1/appeals');
    expect(listed.statusCode, listed.body).toBe(503);
    expect(listed.headers['retry-after']).toBeDefined();
    const ready = await stack.call('supervisor', 'GET', '/health/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ checks: { postgres: { status: 'down' }, temporal: { status: 'ok' } } });
    // …and the worker's activities fail and are retried.
    const attempt = await until(
      async () => failedAttempt(),
      (n) => n >= 2,
      15_000,
    );
    expect(attempt, 'an activity retried while PostgreSQL was down').toBeGreaterThanOrEqual(2);
    expect(stack.worker.alive, `the worker outlives the outage\n${stack.workerLogs()}`).toBe(true);
    // A client that was turned away tries again later, with the same key.
    const afterwards = startWith(`after-${randomUUID()}`);

    await stack.pg.up();

    const answers = await Promise.all([...inFlight, afterwards]);
    for (const res of answers) expect([200, 201], `${res.statusCode}: ${res.body}`).toContain(res.statusCode);
    expect503sCarryRetryAfter(seen);
    const unexpected = seen.filter((r) => ![200, 201, 503].includes(r.statusCode));
    expect(
      unexpected.map((r) => `${r.statusCode} ${r.body}`),
      'answers other than success or 503',
    ).toEqual([]);

    // Every triage was done once.
    for (const res of answers.slice(0, before.length))
      expect(res.json<{ stage: string }>().stage).toBe('awaiting_acceptance');

    // One appeal per start key (a retried start finds the appeal its first attempt began), and no
    // other: the probe turned away above left nothing behind.
    const startAnswers = [...answers.slice(before.length)];
    const appealIds = [...before, ...startAnswers.map((r) => r.json<Started>().case.appealId)];
    expect(new Set(appealIds).size).toBe(startKeys.length);
    const records = await stack.pg.handle.pool.query<{ id: string }>('select id from appeals order by id');
    expect(records.rows.map((r) => r.id)).toEqual([...appealIds].sort());
    expect(await countAppealWorkflows(stack.client, appealIds.length)).toBe(appealIds.length);

    // Every record with each of its steps once, sequences without a gap.
    const trails = await expectIntactRecords(stack.pg.handle, appealIds);
    for (const id of before)
      expect(
        trails.get(id)!.events.map((e) => e.type),
        id,
      ).toEqual(['intake', 'dispatched']);
    for (const id of appealIds.slice(before.length))
      expect(
        trails.get(id)!.events.map((e) => e.type),
        id,
      ).toEqual(['intake']);
    const dispatched = await stack.pg.handle.pool.query<{ id: string }>(
      `select id from appeals where stage = 'awaiting_acceptance' and lead_unit_id = 'beijing-water' order by id`,
    );
    expect(dispatched.rows.map((r) => r.id)).toEqual([...before].sort());
  });
});
