/**
 * The values the two write statements store (recordSteps' patches, createAppealRecord's row):
 * typed as the columns are, as an update or insert through drizzle's own query builder stores
 * them; null against a key left out or undefined; the last step setting a column wins; the
 * columns an intake leaves out take their defaults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, getTableColumns, sql } from 'drizzle-orm';
import { createTestDatabase, noiseComplaintRecord, type TestDatabase } from './support/database.js';
import { createAppealRecord, getAppealRecord, listAuditEvents, recordStep, recordSteps } from '../db/queries/cases.js';
import { postgresError } from '../db/queries/errors.js';
import { appeals, type Appeal } from '../db/schema/cases.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

const RECEIVED = new Date('2026-01-05T02:00:00Z');
const at = (minutes: number) => new Date(RECEIVED.getTime() + minutes * 60_000);
type Patch = NonNullable<Parameters<typeof recordStep>[1]['patch']>;

const step = (appealId: string, stepKey: string, minutes: number, patch?: Patch) => ({
  appealId,
  stepKey,
  type: 'note',
  actor: 'center',
  at: at(minutes),
  ...(patch ? { patch } : {}),
});

async function newAppeal(id: string) {
  await createAppealRecord(database.db, noiseComplaintRecord(id, RECEIVED), 'intake');
  return id;
}

/** The row without what differs between two appeals given the same values. */
const valuesOf = (row: Appeal | undefined): Partial<Appeal> => {
  const values: Partial<Appeal> = { ...row! };
  for (const key of ['id', 'workflowId', 'workOrderNo', 'lastSeq'] as const) delete values[key];
  return values;
};

/** Values that a text, a JSON document or an array literal must carry through unchanged. */
const AWKWARD = `it's "quoted", {braced}, back\\slash, 换行\n, tab\t, NULL`;

describe('a step’s patch', () => {
  it('stores every type as drizzle’s own update does', async () => {
    const patch: Patch = {
      stage: AWKWARD,
      leadUnitId: 'beijing-water',
      coHandlerIds: ['a,b', 'with "quote"', 'NULL', '', AWKWARD],
      involvedUnitIds: [],
      pendingActors: ['unit:x'],
      nextActor: 'center',
      waitingSince: new Date('2026-01-05T02:00:00.123Z'),
      deadlines: { acceptance: '2026-01-06T02:00:00.000Z', 'odd key "x"': AWKWARD },
      dueAt: new Date('2026-02-29T23:59:59.999Z'),
      overdue: true,
      stabilityRisk: true,
      escalationLevel: 3,
      policyCode: 'p',
      policyVersion: 0,
      result: { outcome: 'resolved', nested: [1, 2.5, -0, 1e21, null, true, { deep: AWKWARD }] },
      callback: {},
      finalCase: { appealId: 'x', notes: [AWKWARD] } as unknown as Patch['finalCase'],
      attachments: [{ url: 'https://x/1.png', contentType: 'image/png', size: 10, sha256: 'ab', name: AWKWARD }],
      closedAt: new Date('2026-03-01T00:00:00Z'),
      anonymisedAt: new Date(0),
      address: null,
    };
    const viaStep = await newAppeal('v-types-step');
    const viaUpdate = await newAppeal('v-types-update');
    await recordStep(database.db, step(viaStep, 'all', 5, patch));
    await database.db
      .update(appeals)
      .set({ ...patch, updatedAt: at(5) })
      .where(eq(appeals.id, viaUpdate));
    const written = await getAppealRecord(database.db, viaStep);
    expect(valuesOf(written)).toEqual(valuesOf(await getAppealRecord(database.db, viaUpdate)));
    expect(written).toMatchObject({
      stage: AWKWARD,
      coHandlerIds: ['a,b', 'with "quote"', 'NULL', '', AWKWARD],
      waitingSince: new Date('2026-01-05T02:00:00.123Z'),
      dueAt: new Date('2026-02-29T23:59:59.999Z'),
      deadlines: { acceptance: '2026-01-06T02:00:00.000Z', 'odd key "x"': AWKWARD },
      result: { outcome: 'resolved', nested: [1, 2.5, 0, 1e21, null, true, { deep: AWKWARD }] },
      callback: {},
      overdue: true,
      policyVersion: 0,
      anonymisedAt: new Date(0),
      address: null,
      lastSeq: 2,
      updatedAt: at(5),
    });
  });

  it('sets a column to null with null, leaves it with a key absent or undefined', async () => {
    const id = await newAppeal('v-null');
    await recordStep(
      database.db,
      step(id, 'set', 1, {
        leadUnitId: 'u',
        dueAt: at(60),
        result: { a: 1 },
        policyVersion: 2,
        finalCase: { x: 1 } as unknown as Patch['finalCase'],
      }),
    );
    await recordStep(
      database.db,
      step(id, 'clear', 2, { leadUnitId: null, dueAt: null, result: null, policyVersion: undefined }),
    );
    expect(await getAppealRecord(database.db, id)).toMatchObject({
      leadUnitId: null,
      dueAt: null,
      result: null,
      policyVersion: 2,
      finalCase: { x: 1 },
      lastSeq: 3,
      updatedAt: at(2),
    });
    // SQL NULL, not the JSON document `null`.
    const { rows } = await database.db.execute<{ is_null: boolean }>(
      sql`select result is null as is_null from appeals where id = ${id}`,
    );
    expect(rows[0]!.is_null).toBe(true);
    // No patch at all: only the step's own columns move.
    const before = await getAppealRecord(database.db, id);
    await recordStep(database.db, step(id, 'bare', 3));
    expect(await getAppealRecord(database.db, id)).toEqual({ ...before, lastSeq: 4, updatedAt: at(3) });
  });

  it('takes each column from the last new step that sets it, null included; not from a step recorded before', async () => {
    const id = await newAppeal('v-last');
    await recordStep(database.db, step(id, 'old', 1, { disposition: 'old' }));
    await recordSteps(database.db, [
      step(id, 'a', 2, { stage: 'a', dueAt: at(100), escalationLevel: 1, disposition: 'a' }),
      step(id, 'old', 3, { stage: 'never', disposition: 'never', policyCode: 'never' }),
      step(id, 'b', 4, { stage: 'b', dueAt: null }),
      step(id, 'c', 5, { escalationLevel: 2, stage: undefined, pendingActors: ['c'] }),
      step(id, 'd', 6, { pendingActors: [] }),
    ]);
    expect(await getAppealRecord(database.db, id)).toMatchObject({
      stage: 'b',
      dueAt: null,
      escalationLevel: 2,
      disposition: 'a',
      policyCode: null,
      pendingActors: [],
      lastSeq: 6,
      updatedAt: at(6),
    });
  });

  it('ignores the keys a step may not set and keys that are no column', async () => {
    const id = await newAppeal('v-ignored');
    await recordStep(database.db, step(id, 'a', 1, { stage: 'a', updatedAt: at(999), nope: 1 } as Patch));
    expect(await getAppealRecord(database.db, id)).toMatchObject({ stage: 'a', lastSeq: 2, updatedAt: at(1) });
  });
});

describe('the intake', () => {
  it('leaves the columns it is not given to their defaults, as drizzle’s own insert does', async () => {
    await createAppealRecord(database.db, noiseComplaintRecord('v-defaults', RECEIVED), 'intake');
    await database.db.insert(appeals).values({ ...noiseComplaintRecord('v-defaults-insert', RECEIVED), lastSeq: 1 });
    const row = await getAppealRecord(database.db, 'v-defaults');
    expect(valuesOf(row)).toEqual({
      ...valuesOf(await getAppealRecord(database.db, 'v-defaults-insert')),
      updatedAt: RECEIVED,
    });
    expect(row).toMatchObject({
      stabilityRisk: false,
      coHandlerIds: [],
      involvedUnitIds: [],
      pendingActors: [],
      deadlines: {},
      overdue: false,
      escalationLevel: 0,
      attachments: [],
      districtId: null,
      result: null,
      lastSeq: 1,
      updatedAt: RECEIVED,
    });
    expect(row!.workOrderNo).toMatch(/^20260105-\d{6}$/);
  });

  it('stores the columns it is given, null and values for defaulted columns included', async () => {
    const record = {
      ...noiseComplaintRecord('v-given', RECEIVED),
      districtId: 'chaoyang',
      address: AWKWARD,
      requesterName: null,
      stabilityRisk: true,
      coHandlerIds: ['a,b', AWKWARD],
      deadlines: { intake: AWKWARD },
      escalationLevel: 2,
      waitingSince: new Date('2026-01-05T02:00:00.001Z'),
      attachments: [{ url: 'https://x/a.mp3', contentType: 'audio/mpeg', size: 1, sha256: 'cd' }],
      finalCase: null,
      overdue: undefined,
    };
    expect(await createAppealRecord(database.db, record, 'intake')).toMatchObject({ created: true });
    // drizzle's insert gives a key left undefined its column's default.
    await database.db.insert(appeals).values({ ...record, id: 'v-given-insert', lastSeq: 1 });
    expect(valuesOf(await getAppealRecord(database.db, 'v-given'))).toEqual({
      ...valuesOf(await getAppealRecord(database.db, 'v-given-insert')),
      updatedAt: RECEIVED,
    });
    expect(await getAppealRecord(database.db, 'v-given')).toMatchObject({
      address: AWKWARD,
      requesterName: null,
      stabilityRisk: true,
      coHandlerIds: ['a,b', AWKWARD],
      deadlines: { intake: AWKWARD },
      escalationLevel: 2,
      overdue: false,
      waitingSince: new Date('2026-01-05T02:00:00.001Z'),
    });
    expect(await listAuditEvents(database.db, 'v-given')).toMatchObject([
      {
        seq: 1,
        stepKey: 'intake',
        type: 'intake',
        actor: 'intake',
        reason: null,
        at: RECEIVED,
        payload: { channel: 'phone', appealType: 'complaint', categoryCode: 'environment.noise' },
      },
    ]);
  });

  it('refuses null for a column that has a default but no null, as an insert of it would', async () => {
    const refused = await createAppealRecord(
      database.db,
      { ...noiseComplaintRecord('v-null-default', RECEIVED), overdue: null as unknown as boolean },
      'intake',
    ).catch((e: unknown) => e);
    expect(postgresError(refused)?.code).toBe('23502');
    expect(await getAppealRecord(database.db, 'v-null-default')).toBeUndefined();
  });

  it('refuses a NUL in a text column as an invalid byte sequence, and writes nothing', async () => {
    const refused = await createAppealRecord(
      database.db,
      { ...noiseComplaintRecord('v-nul', RECEIVED), content: 'a\u0000b' },
      'intake',
    ).catch((e: unknown) => e);
    expect(postgresError(refused)?.code).toBe('22021');
    expect(await getAppealRecord(database.db, 'v-nul')).toBeUndefined();
  });

  it('runs inside a caller’s transaction on its connection', async () => {
    await database.db
      .transaction(async (tx) => {
        expect(await createAppealRecord(tx, noiseComplaintRecord('v-tx', RECEIVED), 'intake')).toMatchObject({
          created: true,
        });
        expect(await recordStep(tx, step('v-tx', 'a', 1, { stage: 'inside' }))).toEqual({ seq: 2, created: true });
        expect(await getAppealRecord(tx, 'v-tx')).toMatchObject({ stage: 'inside' });
        expect(await getAppealRecord(database.db, 'v-tx')).toBeUndefined();
        tx.rollback();
      })
      .catch(() => undefined);
    expect(await getAppealRecord(database.db, 'v-tx')).toBeUndefined();
  });

  it('has a default in the database exactly where the schema gives one', async () => {
    const { rows } = await database.db.execute<{ column_name: string; column_default: string | null }>(
      sql`select column_name, column_default from information_schema.columns
          where table_schema = 'public' and table_name = 'appeals'`,
    );
    const inDatabase = Object.fromEntries(rows.map((r) => [r.column_name, r.column_default !== null]));
    const inSchema = Object.fromEntries(
      Object.values(getTableColumns(appeals)).map((c) => [c.name, c.default !== undefined]),
    );
    expect(inDatabase).toEqual(inSchema);
  });
});
