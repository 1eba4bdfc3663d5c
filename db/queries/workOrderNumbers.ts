import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { appeals } from '../schema/cases.js';

/** The appeal a work order number names (one read of the unique index), or undefined. */
export async function findAppealIdByWorkOrderNo(db: DbOrTx, no: string): Promise<string | undefined> {
  const [row] = await db.select({ id: appeals.id }).from(appeals).where(eq(appeals.workOrderNo, no));
  return row?.id;
}
