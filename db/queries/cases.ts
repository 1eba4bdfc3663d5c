import { and, eq, getTableColumns, is, sql, type SQL } from 'drizzle-orm';
import { PgTransaction, type AnyPgColumn } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { preparedPerHandle, type DbOrTx } from '../client.js';
import { appeals, auditEvents, type NewAppeal } from '../schema/cases.js';
import { beijingDay, workOrderNo } from '../../domain/workOrderNumbers.js';

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

/** A value bound as a parameter of the column's own type (encoded as drizzle encodes it). */
const typed = (column: AnyPgColumn, value: unknown): SQL =>
  sql`cast(${sql.param(value, column)} as ${sql.raw(column.getSQLType())})`;

/**
 * The one statement that writes `steps` (distinct step keys, one appeal). The appeal row's lock
 * serialises concurrent steps of one appeal, and the new steps are numbered from the locked row.
 * The statement reads the audit trail as of its start: a step committed between its start and
 * its lock (it waited for that writer) is not among what it read. One step is still right: its
 * insert finds such a step by its key and then writes nothing. Several are numbered together, so
 * they are written only when the locked row is the one the statement's snapshot saw (`fresh`).
 */
function stepsStatement(appealId: string, steps: readonly StepRecord[]): SQL {
  const values = steps.map(
    (step, ord) =>
      sql`(${ord}::int, ${step.stepKey}::text, ${step.type}::text, ${step.actor}::text, ${step.reason ?? null}::text, ${typed(auditEvents.payload, step.payload ?? {})}, ${typed(auditEvents.at, step.at)})`,
  );
  // Each patched column takes the value of the last new step that sets it, the row's own otherwise.
  const setters = new Map<AppealKey, { ord: number; value: unknown }[]>();
  steps.forEach((step, ord) => {
    for (const [key, value] of Object.entries(step.patch ?? {})) {
      if (value === undefined || NOT_PATCHED.has(key) || !(key in APPEAL_COLUMNS)) continue;
      const list = setters.get(key as AppealKey) ?? [];
      list.push({ ord, value });
      setters.set(key as AppealKey, list);
    }
  });
  const patch = [...setters].map(([key, list]) => {
    const column = APPEAL_COLUMNS[key];
    const cases = list
      .reverse()
      .map(({ ord, value }) => sql` when ${ord}::int in (select ord from applied) then ${typed(column, value)}`);
    return sql`${sql.identifier(column.name)} = case${sql.join(cases)} else appeals.${sql.identifier(column.name)} end, `;
  });
  return sql`
    with snapshot as (select last_seq from appeals where id = ${appealId}),
    locked as materialized (select last_seq from appeals where id = ${appealId} for update),
    fresh as (select l.last_seq from locked l join snapshot s on s.last_seq = l.last_seq),
    steps (ord, step_key, type, actor, reason, payload, at) as (values ${sql.join(values, sql`, `)}),
    recorded as (
      select e.step_key, e.seq from audit_events e join steps s on s.step_key = e.step_key
      where e.appeal_id = ${appealId}),
    numbered as (
      select s.*, f.last_seq + (row_number() over (order by s.ord))::int as seq
      from steps s cross join ${steps.length === 1 ? sql`locked` : sql`fresh`} f
      where not exists (select 1 from recorded r where r.step_key = s.step_key)),
    written as (
      insert into audit_events (appeal_id, seq, step_key, type, actor, reason, payload, at)
      select ${appealId}, seq, step_key, type, actor, reason, payload, at from numbered
      on conflict (appeal_id, step_key) do nothing
      returning step_key, seq),
    applied as (select n.ord, n.at, n.seq from numbered n join written w on w.step_key = n.step_key),
    bumped as (
      update appeals set ${sql.join(patch)}last_seq = (select max(seq) from applied),
        updated_at = (select at from applied order by ord desc limit 1)
      where id = ${appealId} and exists (select 1 from applied))
    select exists (select 1 from locked) as found, exists (select 1 from fresh) as fresh,
      (select coalesce(json_object_agg(step_key, seq), '{}') from recorded) as recorded,
      (select coalesce(json_object_agg(step_key, seq), '{}') from written) as created`;
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
  const statement = stepsStatement(appealId, distinct);
  const run = async (on: DbOrTx) =>
    (await on.execute<Record<string, unknown>>(statement)).rows[0] as unknown as StepsOutcome;
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

const isTransaction = (db: DbOrTx): boolean => is(db, PgTransaction);

/** Whether `error` is the appeal's id taken by another intake after this statement's snapshot. */
function isIdTaken(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof pg.DatabaseError) return e.code === '23505' && e.constraint === 'appeals_pkey';
  }
  return false;
}

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
  const given = Object.entries(record).filter(([key, value]) => value !== undefined && key !== 'updatedAt');
  const columns = given.map(([key]) => sql.identifier(APPEAL_COLUMNS[key as AppealKey].name));
  const values = given.map(([key, value]) => typed(APPEAL_COLUMNS[key as AppealKey], value));
  const intake = {
    appealId: record.id,
    stepKey: 'intake',
    type: 'intake',
    actor,
    at: record.receivedAt,
    payload: { channel: record.channel, appealType: record.appealType, categoryCode: record.categoryCode },
  };
  // The row, its intake event (seq 1, as a first step writes it) and, only for a row not recorded
  // yet, the day's next number. The day's counter row is locked from its update to the end of
  // this statement, which commits it: every intake of the day waits for it only that long. An
  // intake of the same appeal committed after this statement's snapshot makes the insert fail
  // on the id, the whole statement with it (the number too); it is then read as recorded. A day
  // past its last number inserts nothing and `workOrderNo` refuses the sequence.
  const statement = sql`
    with existing as (select work_order_no from appeals where id = ${record.id}),
    taken as (
      insert into work_order_days (day, last_no) select ${day}::text, 1 where not exists (select 1 from existing)
      on conflict (day) do update set last_no = work_order_days.last_no + 1
      returning last_no),
    inserted as (
      insert into appeals (${sql.join(columns, sql`, `)}, last_seq, updated_at, work_order_no)
      select ${sql.join(values, sql`, `)}, 1, ${typed(appeals.updatedAt, record.receivedAt)},
        ${day}::text || '-' || lpad(t.last_no::text, 6, '0')
      from taken t where t.last_no < 1000000
      returning id),
    written as (
      insert into audit_events (appeal_id, seq, step_key, type, actor, reason, payload, at)
      select id, 1, ${intake.stepKey}::text, ${intake.type}::text, ${actor}::text, null,
        ${typed(auditEvents.payload, intake.payload)}, ${typed(auditEvents.at, intake.at)}
      from inserted)
    select exists (select 1 from existing) as existed, (select work_order_no from existing) as existing_no,
      (select last_no from taken) as taken, exists (select 1 from inserted) as inserted`;
  type Outcome = { existed: boolean; existing_no: string | null; taken: number | null; inserted: boolean };
  const run = async (on: DbOrTx) => (await on.execute<Outcome>(statement)).rows[0]!;
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
  // Recorded before (a retry): its number, or none for a case recorded before numbers were given.
  await recordSteps(db, [intake]);
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
