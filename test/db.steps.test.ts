/**
 * Steps of an appeal as one statement each (recordStep, recordSteps): idempotent per step key,
 * gap-free sequence numbers in call order, patches applied in order, serialised by the appeal
 * row's lock, and usable inside an outer transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { createTestDatabase, noiseComplaintRecord, type TestDatabase } from './support/database.js';
import {
  createAppealRecord,
  getAppealRecord,
  listAuditEvents,
  recordCurrentCase,
  recordStep,
  recordSteps,
} from '../db/queries/cases.js';
import { appeals } from '../db/schema/cases.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

const RECEIVED = new Date('2026-01-05T02:00:00Z');
const at = (minutes: number) => new Date(RECEIVED.getTime() + minutes * 60_000);

async function newAppeal(id: string) {
  await createAppealRecord(database.db, noiseComplaintRecord(id, RECEIVED), 'intake');
  return id;
}

const step = (
  appealId: string,
  stepKey: string,
  minutes: number,
  patch?: Parameters<typeof recordStep>[1]['patch'],
) => ({
  appealId,
  stepKey,
  type: 'note',
  actor: 'center',
  at: at(minutes),
  ...(patch ? { patch } : {}),
});

const seqsOf = async (appealId: string) =>
  (await listAuditEvents(database.db, appealId)).map((e) => [e.seq, e.stepKey]);

describe('recordStep', () => {
  it('applies the patch with the step’s instant, typed as the columns are', async () => {
    const id = await newAppeal('s-patch');
    const due = at(600);
    const result = await recordStep(database.db, {
      ...step(id, 'dispatch', 5, {
        stage: 'awaiting_acceptance',
        leadUnitId: 'beijing-water',
        involvedUnitIds: ['beijing-water', 'chaoyang-gov'],
        deadlines: { acceptance: due.toISOString() },
        dueAt: due,
        overdue: false,
        escalationLevel: 0,
        policyVersion: 2,
        result: { outcome: 'resolved', nested: [1, 'two'] },
      }),
      reason: 'routed',
      payload: { unitId: 'beijing-water' },
    });
    expect(result).toEqual({ seq: 2, created: true });
    const row = (await getAppealRecord(database.db, id))!;
    expect(row).toMatchObject({
      stage: 'awaiting_acceptance',
      leadUnitId: 'beijing-water',
      involvedUnitIds: ['beijing-water', 'chaoyang-gov'],
      deadlines: { acceptance: due.toISOString() },
      dueAt: due,
      policyVersion: 2,
      result: { outcome: 'resolved', nested: [1, 'two'] },
      lastSeq: 2,
      updatedAt: at(5),
    });
    const [, event] = await listAuditEvents(database.db, id);
    expect(event).toMatchObject({
      seq: 2,
      stepKey: 'dispatch',
      reason: 'routed',
      payload: { unitId: 'beijing-water' },
    });

    // null clears a column; a key left undefined leaves it.
    await recordStep(database.db, step(id, 'undue', 6, { dueAt: null, leadUnitId: undefined }));
    expect(await getAppealRecord(database.db, id)).toMatchObject({ dueAt: null, leadUnitId: 'beijing-water' });
  });

  it('answers a repeat with the first sequence number and changes nothing', async () => {
    const id = await newAppeal('s-repeat');
    expect(await recordStep(database.db, step(id, 'a', 1, { stage: 'one' }))).toEqual({ seq: 2, created: true });
    const before = await getAppealRecord(database.db, id);
    expect(await recordStep(database.db, step(id, 'a', 9, { stage: 'other' }))).toEqual({ seq: 2, created: false });
    expect(await getAppealRecord(database.db, id)).toEqual(before);
  });

  it('refuses an appeal without a case record and writes nothing', async () => {
    await expect(recordStep(database.db, step('s-none', 'a', 1))).rejects.toThrow('appeal s-none has no case record');
    expect(await listAuditEvents(database.db, 's-none')).toEqual([]);
  });

  it('writes within an outer transaction, and nothing when it rolls back', async () => {
    const id = await newAppeal('s-tx');
    await database.db
      .transaction(async (tx) => {
        expect(await recordStep(tx, step(id, 'a', 1, { stage: 'inside' }))).toEqual({ seq: 2, created: true });
        // The prepared read runs on the transaction's connection: it sees the step, the pool does not yet.
        expect(await getAppealRecord(tx, id)).toMatchObject({ stage: 'inside', lastSeq: 2 });
        expect(await getAppealRecord(database.db, id)).toMatchObject({ stage: 'triage', lastSeq: 1 });
        expect(await recordStep(tx, step(id, 'a', 1))).toEqual({ seq: 2, created: false });
        expect(await recordStep(tx, step(id, 'b', 2))).toEqual({ seq: 3, created: true });
        tx.rollback();
      })
      .catch(() => undefined);
    expect(await seqsOf(id)).toEqual([[1, 'intake']]);
    expect(await getAppealRecord(database.db, id)).toMatchObject({ stage: 'triage', lastSeq: 1 });
  });
});

describe('recordSteps', () => {
  it('writes the steps in order and applies their patches in order', async () => {
    const id = await newAppeal('s-batch');
    const results = await recordSteps(database.db, [
      step(id, 'a', 1, { stage: 'first', nextActor: 'center' }),
      step(id, 'b', 2, { stage: 'second' }),
      step(id, 'c', 3, { pendingActors: ['unit:beijing-water'] }),
    ]);
    expect(results).toEqual([
      { seq: 2, created: true },
      { seq: 3, created: true },
      { seq: 4, created: true },
    ]);
    expect(await seqsOf(id)).toEqual([
      [1, 'intake'],
      [2, 'a'],
      [3, 'b'],
      [4, 'c'],
    ]);
    expect(await getAppealRecord(database.db, id)).toMatchObject({
      stage: 'second',
      nextActor: 'center',
      pendingActors: ['unit:beijing-water'],
      lastSeq: 4,
      updatedAt: at(3),
    });
  });

  it('skips the steps recorded before, their patches with them, and numbers only the new ones', async () => {
    const id = await newAppeal('s-mixed');
    await recordStep(database.db, step(id, 'b', 2, { stage: 'b' }));
    const results = await recordSteps(database.db, [
      step(id, 'a', 1, { stage: 'a', nextActor: 'unit:a' }),
      step(id, 'b', 2, { stage: 'b again', disposition: 'never' }),
      step(id, 'c', 3, { nextActor: 'unit:c' }),
      step(id, 'a', 4, { stage: 'a twice' }),
    ]);
    expect(results).toEqual([
      { seq: 3, created: true },
      { seq: 2, created: false },
      { seq: 4, created: true },
      { seq: 3, created: false },
    ]);
    expect(await getAppealRecord(database.db, id)).toMatchObject({
      stage: 'a',
      nextActor: 'unit:c',
      disposition: null,
      lastSeq: 4,
      updatedAt: at(3),
    });
    // The whole batch again: nothing new, nothing changed.
    const before = await getAppealRecord(database.db, id);
    expect(await recordSteps(database.db, [step(id, 'a', 7, { stage: 'x' }), step(id, 'c', 8)])).toEqual([
      { seq: 3, created: false },
      { seq: 4, created: false },
    ]);
    expect(await getAppealRecord(database.db, id)).toEqual(before);
  });

  it('takes the steps of one appeal only, and nothing for no steps', async () => {
    expect(await recordSteps(database.db, [])).toEqual([]);
    await expect(recordSteps(database.db, [step('x', 'a', 1), step('y', 'a', 1)])).rejects.toThrow(/one appeal/);
  });
});

describe('under concurrency', () => {
  it('keeps single steps and batches of one appeal gap-free, each key once, each batch in its order', async () => {
    const id = await newAppeal('s-concurrent');
    const singles = Array.from({ length: 30 }, (_, i) => () => recordStep(database.db, step(id, `s-${i % 15}`, i)));
    const batches = Array.from(
      { length: 10 },
      (_, i) => () =>
        recordSteps(database.db, [
          step(id, `b-${i % 5}-1`, i),
          step(id, `b-${i % 5}-2`, i),
          step(id, `b-${i % 5}-3`, i),
        ]),
    );
    const outcomes = await Promise.all([...singles, ...batches].map((write) => write()));
    const events = await listAuditEvents(database.db, id);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.stepKey)).size).toBe(31);
    expect((await getAppealRecord(database.db, id))!.lastSeq).toBe(31);

    const seqOf = new Map(events.map((e) => [e.stepKey, e.seq]));
    const singleResults = outcomes.slice(0, 30) as { seq: number; created: boolean }[];
    singleResults.forEach((r, i) => expect(r.seq).toBe(seqOf.get(`s-${i % 15}`)));
    expect(singleResults.filter((r) => r.created)).toHaveLength(15);
    for (let b = 0; b < 5; b++) {
      const [one, two, three] = [1, 2, 3].map((k) => seqOf.get(`b-${b}-${k}`)!);
      expect([two! - one!, three! - two!]).toEqual([1, 1]);
    }
  });

  /**
   * Runs `write` while another connection holds the appeal's lock; once the write's statement
   * waits for it, that connection records the step `heldKey` and commits. Answers the write's
   * outcome and the held step's sequence number.
   */
  async function whileHeld<T>(id: string, heldKey: string, write: () => Promise<T>): Promise<[T, number]> {
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from appeals where id = $1 for update', [id]);
      const waiting = write();
      // Its statement has begun (and taken its snapshot) and waits for the lock.
      for (let i = 0; i < 200; i++) {
        const blocked = await holder.query(
          `select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%audit_events%'`,
        );
        if (blocked.rowCount) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const { rows } = await holder.query<{ seq: number }>(
        'update appeals set last_seq = last_seq + 1 where id = $1 returning last_seq as seq',
        [id],
      );
      await holder.query(
        `insert into audit_events (appeal_id, seq, step_key, type, actor, at) values ($1, $2, $3, 'note', 'center', now())`,
        [id, rows[0]!.seq, heldKey],
      );
      await holder.query('commit');
      return [await waiting, rows[0]!.seq];
    } finally {
      await holder.end();
    }
  }

  it('sees a step committed while it waited for the appeal’s lock', async () => {
    const id = await newAppeal('s-waited');
    const [other, held] = await whileHeld(id, 'held', () =>
      recordStep(database.db, step(id, 'other', 1, { stage: 'waited' })),
    );
    expect(other).toEqual({ seq: held + 1, created: true });
    const [same, heldSame] = await whileHeld(id, 'same', () =>
      recordStep(database.db, step(id, 'same', 2, { stage: 'never' })),
    );
    expect(same).toEqual({ seq: heldSame, created: false });

    const [batch, heldShared] = await whileHeld(id, 'shared', () =>
      recordSteps(database.db, [step(id, 'shared', 3, { stage: 'never' }), step(id, 'new', 4, { nextActor: 'x' })]),
    );
    expect(batch).toEqual([
      { seq: heldShared, created: false },
      { seq: heldShared + 1, created: true },
    ]);
    expect((await listAuditEvents(database.db, id)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    const [row] = await database.db.select().from(appeals).where(eq(appeals.id, id));
    expect(row).toMatchObject({ lastSeq: 6, stage: 'waited', nextActor: 'x', updatedAt: at(4) });
  });
});

describe('recordCurrentCase', () => {
  it('keeps the case the workflow holds now, the last write winning; a step may carry it, or clear it', async () => {
    const id = await newAppeal('s-current');
    expect((await getAppealRecord(database.db, id))?.currentCase).toBeNull();
    const held = (stage: string, reminders: number) =>
      ({ appealId: id, stage, acceptanceReminders: reminders, timeline: [] }) as unknown as NonNullable<
        Parameters<typeof recordCurrentCase>[2]
      >;
    await recordCurrentCase(database.db, id, held('triage', 0));
    await recordCurrentCase(database.db, id, held('awaiting_acceptance', 1));
    expect((await getAppealRecord(database.db, id))?.currentCase).toEqual(held('awaiting_acceptance', 1));
    // With a step: its change to the record sets it with the rest, and a close clears it.
    await recordStep(database.db, step(id, 'accepted', 10, { stage: 'handling', currentCase: held('handling', 1) }));
    expect(await getAppealRecord(database.db, id)).toMatchObject({
      stage: 'handling',
      currentCase: held('handling', 1),
    });
    await recordStep(database.db, step(id, 'closed', 20, { stage: 'closed', currentCase: null }));
    expect((await getAppealRecord(database.db, id))?.currentCase).toBeNull();
  });

  it('refuses an appeal without a case record', async () => {
    await expect(
      recordCurrentCase(database.db, 's-none', { appealId: 's-none' } as unknown as Parameters<
        typeof recordCurrentCase
      >[2]),
    ).rejects.toThrow('appeal s-none has no case record');
  });
});
