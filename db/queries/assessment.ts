import type { DbOrTx } from '../client.js';
import {
  accountabilityRecords,
  assessments,
  type NewAccountabilityRecord,
  type NewAssessment,
} from '../schema/cases.js';

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
