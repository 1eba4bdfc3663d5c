/**
 * An appeal as people refer to it: by its id, or by the work order number (工单编号) it was told
 * on the phone. The two never collide: a number is `YYYYMMDD-NNNNNN`, an id is a UUID or an
 * intake system's own id.
 */
import { eq, or } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { appeals, type Appeal } from '../schema/cases.js';

/** The case record an appeal id or a work order number names, or undefined. */
export async function findAppealByRef(db: DbOrTx, ref: string): Promise<Appeal | undefined> {
  const rows = await db
    .select()
    .from(appeals)
    .where(or(eq(appeals.id, ref), eq(appeals.workOrderNo, ref)))
    .limit(2);
  // An intake system's id that happens to look like someone else's number: the id wins.
  return rows.find((r) => r.id === ref) ?? rows[0];
}
