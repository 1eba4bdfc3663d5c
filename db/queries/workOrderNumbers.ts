import { eq, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../client.js';
import { appeals } from '../schema/cases.js';
import { workOrderDays } from '../schema/privacy.js';
import { workOrderNo } from '../../domain/workOrderNumbers.js';

/**
 * The next work order number of `day` (`YYYYMMDD`, Beijing date). Call it only inside the
 * transaction that inserts the appeal row: the day's row stays locked until that transaction
 * ends, and a rollback returns the number, so the day's numbers have no gaps.
 */
export async function takeWorkOrderNo(tx: Tx, day: string): Promise<string> {
  const [row] = await tx
    .insert(workOrderDays)
    .values({ day, lastNo: 1 })
    .onConflictDoUpdate({ target: workOrderDays.day, set: { lastNo: sql`${workOrderDays.lastNo} + 1` } })
    .returning({ lastNo: workOrderDays.lastNo });
  return workOrderNo(day, row!.lastNo);
}

/** The appeal a work order number names (one read of the unique index), or undefined. */
export async function findAppealIdByWorkOrderNo(db: DbOrTx, no: string): Promise<string | undefined> {
  const [row] = await db.select({ id: appeals.id }).from(appeals).where(eq(appeals.workOrderNo, no));
  return row?.id;
}
