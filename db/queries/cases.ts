import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { appeals, auditEvents, type NewAppeal } from '../schema/cases.js';
import { beijingDay } from '../../domain/workOrderNumbers.js';
import { takeWorkOrderNo } from './workOrderNumbers.js';

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

/**
 * Writes one step of an appeal: its audit event and the change to the case record, in one
 * transaction. Idempotent: a step already recorded (same appeal and step key) changes nothing
 * and returns its original sequence number.
 */
export async function recordStep(db: DbOrTx, step: StepRecord): Promise<{ seq: number; created: boolean }> {
  return db.transaction(async (tx) => {
    // The appeal row's lock serialises concurrent steps of one appeal, so the check below
    // and the sequence it hands out cannot race.
    const [locked] = await tx
      .select({ id: appeals.id })
      .from(appeals)
      .where(eq(appeals.id, step.appealId))
      .for('update');
    if (!locked) throw new Error(`appeal ${step.appealId} has no case record`);

    const [existing] = await tx
      .select({ seq: auditEvents.seq })
      .from(auditEvents)
      .where(and(eq(auditEvents.appealId, step.appealId), eq(auditEvents.stepKey, step.stepKey)));
    if (existing) return { seq: existing.seq, created: false };

    const [bumped] = await tx
      .update(appeals)
      .set({ ...step.patch, lastSeq: sql`${appeals.lastSeq} + 1`, updatedAt: step.at })
      .where(eq(appeals.id, step.appealId))
      .returning({ seq: appeals.lastSeq });
    const seq = bumped!.seq;
    await tx.insert(auditEvents).values({
      appealId: step.appealId,
      seq,
      stepKey: step.stepKey,
      type: step.type,
      actor: step.actor,
      reason: step.reason ?? null,
      payload: step.payload ?? {},
      at: step.at,
    });
    return { seq, created: true };
  });
}

/**
 * Creates the case record at intake with its work order number (工单编号) and first audit event,
 * in one transaction. Idempotent: an appeal already recorded is left as it is and keeps its
 * number; the day's counter moves only in the transaction that inserts the row, so a retry never
 * takes a second number and the day's numbers have no gaps.
 */
export async function createAppealRecord(
  db: DbOrTx,
  record: Omit<NewAppeal, 'lastSeq' | 'workOrderNo'>,
  actor: string,
): Promise<{ created: boolean; workOrderNo: string | null }> {
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(appeals)
      .values({ ...record, lastSeq: 0 })
      .onConflictDoNothing()
      .returning({ id: appeals.id });
    await recordStep(tx, {
      appealId: record.id,
      stepKey: 'intake',
      type: 'intake',
      actor,
      at: record.receivedAt,
      payload: { channel: record.channel, appealType: record.appealType, categoryCode: record.categoryCode },
    });
    if (inserted.length > 0) {
      // Last: the day's counter row stays locked until the commit, so every intake of the day waits
      // for it only as long as this one update and the commit take.
      const workOrderNo = await takeWorkOrderNo(tx, beijingDay(record.receivedAt));
      await tx.update(appeals).set({ workOrderNo }).where(eq(appeals.id, record.id));
      return { created: true, workOrderNo };
    }
    // Recorded before (a retry): its number, or none for a case recorded before numbers were given.
    const [existing] = await tx
      .select({ workOrderNo: appeals.workOrderNo })
      .from(appeals)
      .where(eq(appeals.id, record.id));
    return { created: false, workOrderNo: existing?.workOrderNo ?? null };
  });
}

export async function getAppealRecord(db: DbOrTx, appealId: string) {
  const [row] = await db.select().from(appeals).where(eq(appeals.id, appealId));
  return row;
}

export async function listAuditEvents(db: DbOrTx, appealId: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.appealId, appealId)).orderBy(auditEvents.seq);
}
