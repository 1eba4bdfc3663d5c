/**
 * What a delivery to a recipient that is not a unit needs from the case record, read inside
 * the activity so that none of it passes through the workflow.
 */
import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { appeals } from '../schema/cases.js';
import { units } from '../schema/reference.js';

/**
 * The requester's phone on the work order (personal data: the caller sends it to the SMS
 * gateway only, and never logs it). Null when the appeal has none or is not recorded.
 */
export async function requesterPhoneOf(db: DbOrTx, params: { appealId: string }): Promise<string | null> {
  const [row] = await db.select({ phone: appeals.requesterPhone }).from(appeals).where(eq(appeals.id, params.appealId));
  return row?.phone?.trim() || null;
}

/** The government of the appeal's district (Art. 11: it is told of a stability risk), if known. */
export async function districtGovernmentOf(db: DbOrTx, params: { appealId: string }): Promise<string | undefined> {
  const [row] = await db
    .select({ id: units.id })
    .from(appeals)
    .innerJoin(units, and(eq(units.districtId, appeals.districtId), eq(units.kind, 'district_government')))
    .where(eq(appeals.id, params.appealId));
  return row?.id;
}
