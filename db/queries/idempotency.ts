import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { idempotencyKeys } from '../schema/api.js';

export interface IdempotencyReservation {
  key: string;
  requestHash: string;
  appealId: string;
}

/**
 * Inserts the key's row, or finds the row already there: the answer is the stored request hash
 * and appeal id (this request's own when it was first). Undefined when another request holds
 * the key but has not committed it yet.
 */
export async function reserveIdempotencyKey(
  db: DbOrTx,
  params: IdempotencyReservation,
): Promise<{ appealId: string; requestHash: string } | undefined> {
  const [inserted] = await db
    .insert(idempotencyKeys)
    .values(params)
    .onConflictDoNothing()
    .returning({ appealId: idempotencyKeys.appealId, requestHash: idempotencyKeys.requestHash });
  if (inserted) return inserted;
  const [existing] = await db
    .select({ appealId: idempotencyKeys.appealId, requestHash: idempotencyKeys.requestHash })
    .from(idempotencyKeys)
    .where(eq(idempotencyKeys.key, params.key));
  return existing;
}
