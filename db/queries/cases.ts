import { and, eq, getTableColumns, inArray, is, sql, SQL } from 'drizzle-orm';
import { PgDialect, PgTransaction, type AnyPgColumn } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { preparedPerHandle, runNamed, type DbOrTx, type NamedStatement } from '../client.js';
import { appeals, auditEvents, type NewAppeal } from '../schema/cases.js';
import { beijingDay, workOrderNo } from '../../domain/workOrderNumbers.js';
import type { AppealCase } from '../../domain/appeal.js';

export interface StepRecord {
  appealId: string;
  /** The writer's idempotency key for this step (the workflow's step id). */
  stepKey: string;
  type: string;
  actor: string;
  reason?: string | null;
  payload?: Record<string, unknown>;
  at: Date;
  /** Columns of the case record that this step changes. */
  patch?: Partial<Omit<NewAppeal, 'id' | 'lastSeq'>>;
}

/** The case record's columns by their names in `NewAppeal`. */
const APPEAL_COLUMNS = getTableColumns(appeals);
type AppealKey = keyof typeof APPEAL_COLUMNS;
/** Set by every step itself, never by its patch. */
const NOT_PATCHED = new Set<string>(['id', 'lastSeq', 'updatedAt']);

/** The text node-postgres sends for a value a column's encoder produced (strings, numbers, booleans). */
function driverText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** A value as the text drizzle would bind for the column: encoded by the column, null kept as null. */
const encoded = (column: AnyPgColumn, value: unknown): string | null =>
  value === null ? null : driverText(column.mapToDriverValue(value));

const identifier = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The columns a step's patch may set, by their names in `NewAppeal`. */
const PATCHABLE = new Map(
  (Object.entries(APPEAL_COLUMNS) as [AppealKey, AnyPgColumn][]).filter(([key]) => !NOT_PATCHED.has(key)),
);

/**
 * Every patchable column: the value of the last applied step whose patch has it (`m.patch`, by
 * column name, as the text the column's encoder gives; JSON null for SQL NULL), read back with
 * the column's type as a bound parameter would be; the row's own value otherwise.
 */
const PATCH_SETTERS = [...PATCHABLE.values()]
  .map((column) => {
    const name = identifier(column.name);
    const key = literal(column.name);
    return `${name} = case when m.patch ? ${key} then cast(m.patch ->> ${key} as ${column.getSQLType()}) else appeals.${name} end`;
  })
  .join(',\n        ');

/**
 * The one statement that writes `steps` (distinct step keys, one appeal): `$1` the appeal, `$2`
 * the steps as a JSON array in their order (`stepsParameter`). The appeal row's lock serialises
 * concurrent steps of one appeal, and the new steps are numbered from the locked row. The
 * statement reads the audit trail as of its start: a step committed between its start and its
 * lock (it waited for that writer) is not among what it read. One step is still right: its
 * insert finds such a step by its key and then writes nothing. Several are numbered together, so
 * they are written only when the locked row is the one the statement's snapshot saw (`fresh`).
 * Each patched column takes the value of the last new step that sets it, the row's own otherwise.
 */
const STEPS_STATEMENT: NamedStatement = {
  name: 'record_steps',
  text: `
    with snapshot as (select last_seq from appeals where id = $1::text),
    locked as materialized (select last_seq from appeals where id = $1::text for update),
    fresh as (select l.last_seq from locked l join snapshot s on s.last_seq = l.last_seq),
    steps as (
      select (e.ord - 1)::int as ord, e.step ->> 'key' as step_key, e.step ->> 'type' as type,
        e.step ->> 'actor' as actor, e.step ->> 'reason' as reason, e.step -> 'payload' as payload,
        cast(e.step ->> 'at' as ${auditEvents.at.getSQLType()}) as at, e.step -> 'patch' as patch
      from jsonb_array_elements($2::jsonb) with ordinality as e(step, ord)),
    recorded as (
      select e.step_key, e.seq from audit_events e join steps s on s.step_key = e.step_key
      where e.appeal_id = $1::text),
    base as (
      select last_seq from locked where jsonb_array_length($2::jsonb) = 1
      union all
      select last_seq from fresh where jsonb_array_length($2::jsonb) > 1),
    numbered as (
      select s.*, f.last_seq + (row_number() over (order by s.ord))::int as seq
      from steps s cross join base f
      where not exists (select 1 from recorded r where r.step_key = s.step_key)),
    written as (
      insert into audit_events (appeal_id, seq, step_key, type, actor, reason, payload, at)
      select $1::text, seq, step_key, type, actor, reason, payload, at from numbered
      on conflict (appeal_id, step_key) do nothing
      returning step_key, seq),
    applied as (select n.ord, n.at, n.seq, n.patch from numbered n join written w on w.step_key = n.step_key),
    merged as (
      select coalesce(jsonb_object_agg(last.key, last.value), '{}'::jsonb) as patch
      from (
        select distinct on (p.key) p.key, p.value from applied a cross join jsonb_each(a.patch) p
        order by p.key, a.ord desc) last),
    bumped as (
      update appeals set
        ${PATCH_SETTERS},
        last_seq = (select max(seq) from applied),
        updated_at = (select at from applied order by ord desc limit 1)
      from merged m
      where appeals.id = $1::text and exists (select 1 from applied))
    select exists (select 1 from locked) as found, exists (select 1 from fresh) as fresh,
      (select coalesce(json_object_agg(step_key, seq), '{}') from recorded) as recorded,
      (select coalesce(json_object_agg(step_key, seq), '{}') from written) as created`,
};

/**
 * The steps as `STEPS_STATEMENT` takes them: one JSON array, each patch by column name with its
 * values encoded as the columns encode them; keys left undefined or not patchable are left out.
 */
function stepsParameter(steps: readonly StepRecord[]): string {
  return JSON.stringify(
    steps.map((step) => {
      const patch: Record<string, string | null> = {};
      for (const [key, value] of Object.entries(step.patch ?? {})) {
        const column = PATCHABLE.get(key as AppealKey);
        if (value !== undefined && column) patch[column.name] = encoded(column, value);
      }
      return {
        key: step.stepKey,
        type: step.type,
        actor: step.actor,
        reason: step.reason ?? null,
        payload: step.payload ?? {},
        at: encoded(auditEvents.at, step.at),
        patch,
      };
    }),
  );
}

interface StepsOutcome {
  found: boolean;
  fresh: boolean;
  /** Sequence numbers by step key: of the steps recorded before, of the steps this statement wrote. */
  recorded: Record<string, number>;
  created: Record<string, number>;
}

/**
 * Writes several steps of one appeal, in order, each with its audit event and its change to the
 * case record, in one statement. Each step is idempotent on its key as `recordStep` is; the new
 * ones take the next sequence numbers in the order given and their patches apply in that order.
 */
export async function recordSteps(db: DbOrTx, steps: StepRecord[]): Promise<{ seq: number; created: boolean }[]> {
  if (steps.length === 0) return [];
  const appealId = steps[0]!.appealId;
  if (steps.some((s) => s.appealId !== appealId)) throw new Error('recordSteps takes the steps of one appeal');
  // A key given twice: the second is a repeat of the first.
  const first = new Map<string, number>();
  steps.forEach((step, i) => first.has(step.stepKey) || first.set(step.stepKey, i));
  const distinct = [...first.values()].map((i) => steps[i]!);
  const values = [appealId, stepsParameter(distinct)];
  const run = async (on: DbOrTx) => (await runNamed<StepsOutcome>(on, STEPS_STATEMENT, values))[0]!;
  // Several steps whose lock came after another writer's commit wrote nothing: again (that writer
  // is done by now), then, if need be, holding the lock so the next snapshot has everything before it.
  const stale = (o: StepsOutcome) => o.found && !o.fresh && distinct.length > 1;
  let outcome = await run(db);
  if (stale(outcome)) outcome = await run(db);
  if (stale(outcome))
    outcome = await db.transaction(async (tx) => {
      const again = await run(tx);
      return stale(again) ? run(tx) : again;
    });
  if (!outcome.found) throw new Error(`appeal ${appealId} has no case record`);
  if (stale(outcome)) throw new Error(`appeal ${appealId}: its steps could not be written under its lock`);
  const [only] = distinct;
  if (distinct.length === 1 && outcome.created[only!.stepKey] === undefined && !(only!.stepKey in outcome.recorded)) {
    // Its key was recorded by a writer that committed while this one waited for the lock.
    const [row] = await db
      .select({ seq: auditEvents.seq })
      .from(auditEvents)
      .where(and(eq(auditEvents.appealId, appealId), eq(auditEvents.stepKey, only!.stepKey)));
    outcome.recorded[only!.stepKey] = row!.seq;
  }
  return steps.map((step, i) => {
    const created = outcome.created[step.stepKey];
    if (created === undefined) return { seq: outcome.recorded[step.stepKey]!, created: false };
    return { seq: created, created: first.get(step.stepKey) === i };
  });
}

/**
 * Writes one step of an appeal: its audit event and the change to the case record, in one
 * statement. Idempotent: a step already recorded (same appeal and step key) changes nothing
 * and returns its original sequence number.
 */
export async function recordStep(db: DbOrTx, step: StepRecord): Promise<{ seq: number; created: boolean }> {
  return (await recordSteps(db, [step]))[0]!;
}

/**
 * The case as its workflow holds it now, after a change that is no step (`appeals.current_case`).
 * The workflow writes its changes one after another, so the last write is its newest case.
 */
export async function recordCurrentCase(db: DbOrTx, appealId: string, currentCase: AppealCase): Promise<void> {
  const updated = await db
    .update(appeals)
    .set({ currentCase })
    .where(eq(appeals.id, appealId))
    .returning({ id: appeals.id });
  if (updated.length === 0) throw new Error(`appeal ${appealId} has no case record`);
}

const isTransaction = (db: DbOrTx): boolean => is(db, PgTransaction);

/** Whether `error` is the appeal's id taken by another intake after this statement's snapshot. */
function isIdTaken(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof pg.DatabaseError) return e.code === '23505' && e.constraint === 'appeals_pkey';
  }
  return false;
}

/** Set at intake by the statement itself, never from the record. */
const NOT_GIVEN_AT_INTAKE = new Set<string>(['lastSeq', 'updatedAt', 'workOrderNo']);

/** The columns a record gives at intake, in the order of their parameters (`$1` is `id`). */
const INTAKE_COLUMNS = (Object.entries(APPEAL_COLUMNS) as [AppealKey, AnyPgColumn][]).filter(
  ([key]) => !NOT_GIVEN_AT_INTAKE.has(key),
);

/**
 * The column's default as SQL (as the schema gives it, and so its migration), `undefined` for a
 * column without one (its default is null).
 */
function defaultOf(column: AnyPgColumn): string | undefined {
  const value: unknown = column.default;
  if (value === undefined) return undefined;
  if (is(value, SQL)) {
    const query = new PgDialect().sqlToQuery(value);
    if (query.params.length > 0) throw new Error(`the default of appeals.${column.name} has parameters`);
    return query.sql;
  }
  const text = encoded(column, value);
  return text === null ? 'null' : `cast(${literal(text)} as ${column.getSQLType()})`;
}

/**
 * Each column's value at intake: its parameter when the record gives it (even as null), its
 * default otherwise, as an insert naming only the given columns would have it. A column without
 * a default is null when not given, so its parameter (null then) is its value either way.
 */
const INTAKE_VALUES = INTAKE_COLUMNS.map(([, column], i) => {
  const value = `cast($${i + 1} as ${column.getSQLType()})`;
  const fallback = defaultOf(column);
  if (fallback === undefined) return value;
  return `case when ${literal(column.name)} = any($${INTAKE_COLUMNS.length + 1}::text[]) then ${value} else ${fallback} end`;
});

/**
 * The row, its intake event (seq 1, as a first step writes it) and, only for a row not recorded
 * yet, the day's next number. Parameters: the record's columns (`INTAKE_COLUMNS`), then the names
 * of the columns the record gives, the Beijing day, the instant of receipt, the actor and the
 * intake event's payload. The day's counter row is locked from its update to
 * the end of this statement, which commits it: every intake of the day waits for it only that
 * long. An intake of the same appeal committed after this statement's snapshot makes the insert
 * fail on the id, the whole statement with it (the number too); it is then read as recorded. A
 * day past its last number inserts nothing and `workOrderNo` refuses the sequence.
 */
const INTAKE_STATEMENT: NamedStatement = (() => {
  const n = INTAKE_COLUMNS.length;
  const [day, receivedAt, actor, payload] = [n + 2, n + 3, n + 4, n + 5].map((i) => `$${i}`);
  return {
    name: 'create_appeal_record',
    text: `
    with existing as (select work_order_no from appeals where id = $1::text),
    taken as (
      insert into work_order_days (day, last_no) select ${day}::text, 1 where not exists (select 1 from existing)
      on conflict (day) do update set last_no = work_order_days.last_no + 1
      returning last_no),
    inserted as (
      insert into appeals (${INTAKE_COLUMNS.map(([, column]) => identifier(column.name)).join(', ')},
        last_seq, updated_at, work_order_no)
      select ${INTAKE_VALUES.join(',\n        ')},
        1, cast(${receivedAt} as ${appeals.updatedAt.getSQLType()}),
        ${day}::text || '-' || lpad(t.last_no::text, 6, '0')
      from taken t where t.last_no < 1000000
      returning id),
    written as (
      insert into audit_events (appeal_id, seq, step_key, type, actor, reason, payload, at)
      select id, 1, 'intake', 'intake', ${actor}::text, null,
        cast(${payload} as ${auditEvents.payload.getSQLType()}), cast(${receivedAt} as ${auditEvents.at.getSQLType()})
      from inserted)
    select exists (select 1 from existing) as existed, (select work_order_no from existing) as existing_no,
      (select last_no from taken) as taken, exists (select 1 from inserted) as inserted`,
  };
})();

/**
 * Creates the case record at intake with its work order number (工单编号) and first audit event,
 * in one statement. Idempotent: an appeal already recorded is left as it is and keeps its
 * number; the day's counter moves only in the statement that inserts the row, so a retry never
 * takes a second number and the day's numbers have no gaps.
 */
export async function createAppealRecord(
  db: DbOrTx,
  record: Omit<NewAppeal, 'lastSeq' | 'workOrderNo'>,
  actor: string,
): Promise<{ created: boolean; workOrderNo: string | null }> {
  const day = beijingDay(record.receivedAt);
  const given = record as Partial<Record<AppealKey, unknown>>;
  const payload = { channel: record.channel, appealType: record.appealType, categoryCode: record.categoryCode };
  // Only the given (not undefined) keys are inserted; the others take their column's default.
  const values = [
    ...INTAKE_COLUMNS.map(([key, column]) => (given[key] === undefined ? null : encoded(column, given[key]))),
    INTAKE_COLUMNS.filter(([key]) => given[key] !== undefined).map(([, column]) => column.name),
    day,
    encoded(appeals.updatedAt, record.receivedAt),
    actor,
    encoded(auditEvents.payload, payload),
  ];
  type Outcome = { existed: boolean; existing_no: string | null; taken: number | null; inserted: boolean };
  const run = async (on: DbOrTx) => (await runNamed<Outcome>(on, INTAKE_STATEMENT, values))[0]!;
  // Inside a caller's transaction, a failed insert must not end it: a savepoint around it.
  const inTransaction = isTransaction(db);
  let row: Outcome | undefined;
  for (let attempt = 1; !row; attempt++) {
    try {
      row = inTransaction ? await db.transaction((tx) => run(tx)) : await run(db);
    } catch (error) {
      if (!isIdTaken(error) || attempt === 3) throw error;
    }
  }
  if (row.inserted) return { created: true, workOrderNo: workOrderNo(day, row.taken!) };
  if (row.taken !== null) workOrderNo(day, row.taken); // throws: the day has no number left
  // Recorded before (a retry, or the other recorder of a start): its number, or none for a case
  // recorded before numbers were given. Its intake event came with the row, in the same statement.
  return { created: false, workOrderNo: row.existing_no };
}

const appealRecord = preparedPerHandle((db) =>
  db
    .select()
    .from(appeals)
    .where(eq(appeals.id, sql.placeholder('appealId')))
    .prepare('appeal_record'),
);

export async function getAppealRecord(db: DbOrTx, appealId: string) {
  const [row] = await appealRecord(db).execute({ appealId });
  return row;
}

export async function listAuditEvents(db: DbOrTx, appealId: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.appealId, appealId)).orderBy(auditEvents.seq);
}

/** The audit events of an appeal of the given types, in order: when each was and what it carried. */
export async function listAuditEventsOfTypes(db: DbOrTx, appealId: string, types: readonly string[]) {
  return db
    .select({ type: auditEvents.type, at: auditEvents.at, payload: auditEvents.payload })
    .from(auditEvents)
    .where(and(eq(auditEvents.appealId, appealId), inArray(auditEvents.type, [...types])))
    .orderBy(auditEvents.seq);
}
