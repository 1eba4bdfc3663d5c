import { and, asc, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import {
  accountabilityRecords,
  assessments,
  type Assessment,
  type NewAccountabilityRecord,
  type NewAssessment,
} from '../schema/cases.js';
import { recordStep } from './cases.js';

/** One row per unit and appeal; writing the same assessment again changes nothing. */
export async function writeAssessments(db: DbOrTx, rows: NewAssessment[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db
    .insert(assessments)
    .values(rows)
    .onConflictDoNothing()
    .returning({ unitId: assessments.unitId });
  return inserted.length;
}

export async function writeAccountabilityRecord(db: DbOrTx, row: NewAccountabilityRecord): Promise<boolean> {
  const inserted = await db
    .insert(accountabilityRecords)
    .values(row)
    .onConflictDoNothing()
    .returning({ appealId: accountabilityRecords.appealId });
  return inserted.length > 0;
}

/** An appeal's assessments, the lead first (then in the order of their unit ids); `unitId`: one unit's only. */
export async function listAssessments(db: DbOrTx, appealId: string, unitId?: string): Promise<Assessment[]> {
  const rows = await db
    .select()
    .from(assessments)
    .where(and(eq(assessments.appealId, appealId), unitId === undefined ? undefined : eq(assessments.unitId, unitId)))
    .orderBy(asc(assessments.unitId));
  const rank = (r: Assessment) => (r.role === 'lead' ? 0 : 1);
  return rows.sort((a, b) => rank(a) - rank(b));
}

/** Why an exemption step was not taken: no such row, or the row is not in a state that allows it. */
export type ExemptionRefusal = { refused: 'not_found' } | { refused: 'conflict'; row: Assessment };
export type ExemptionOutcome = { row: Assessment } | ExemptionRefusal;

export interface ExemptionStep {
  appealId: string;
  unitId: string;
  reason: string;
  /** The audit trail's actor (`unit:<id>`, `center`) and the caller's name. */
  actor: string;
  caller: string;
  at: Date;
}

/**
 * Art. 25, 31: a unit asks for an exemption of its assessment. Only a row that is not exempt and
 * has never been asked about; the row and its audit event change in one transaction.
 */
export async function requestExemption(db: DbOrTx, step: ExemptionStep): Promise<ExemptionOutcome> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(assessments)
      .set({ exemptionStatus: 'requested', exemptionRequestReason: step.reason, exemptionRequestedAt: step.at })
      .where(
        and(
          eq(assessments.appealId, step.appealId),
          eq(assessments.unitId, step.unitId),
          eq(assessments.exempt, false),
          isNull(assessments.exemptionStatus),
        ),
      )
      .returning();
    if (!row) return refusal(tx, step);
    await recordStep(tx, {
      appealId: step.appealId,
      stepKey: `exemption-request:${step.unitId}`,
      type: 'assessment_exemption_requested',
      actor: step.actor,
      reason: step.reason,
      payload: { unitId: step.unitId, caller: step.caller },
      at: step.at,
    });
    return { row };
  });
}

/** The center decides a pending exemption request: granted, the row is exempt and leaves the denominator. */
export async function decideExemption(
  db: DbOrTx,
  step: ExemptionStep & { granted: boolean },
): Promise<ExemptionOutcome> {
  return db.transaction(async (tx) => {
    const [pending] = await tx
      .select()
      .from(assessments)
      .where(
        and(
          eq(assessments.appealId, step.appealId),
          eq(assessments.unitId, step.unitId),
          eq(assessments.exemptionStatus, 'requested'),
        ),
      )
      .for('update');
    if (!pending) return refusal(tx, step);
    const [row] = await tx
      .update(assessments)
      .set({
        exemptionStatus: step.granted ? 'granted' : 'refused',
        exemptionDecisionReason: step.reason,
        exemptionDecidedAt: step.at,
        ...(step.granted ? { exempt: true, exemptReason: `exemption granted: ${pending.exemptionRequestReason}` } : {}),
      })
      .where(and(eq(assessments.appealId, step.appealId), eq(assessments.unitId, step.unitId)))
      .returning();
    await recordStep(tx, {
      appealId: step.appealId,
      stepKey: `exemption-decision:${step.unitId}`,
      type: step.granted ? 'assessment_exemption_granted' : 'assessment_exemption_refused',
      actor: step.actor,
      reason: step.reason,
      payload: { unitId: step.unitId, granted: step.granted, caller: step.caller },
      at: step.at,
    });
    return { row: row! };
  });
}

async function refusal(db: DbOrTx, step: { appealId: string; unitId: string }): Promise<ExemptionRefusal> {
  const [row] = await listAssessments(db, step.appealId, step.unitId);
  return row ? { refused: 'conflict', row } : { refused: 'not_found' };
}
