import { eq, sql } from 'drizzle-orm';
import { preparedPerHandle, type DbOrTx } from '../client.js';
import { idempotencyKeys } from '../schema/api.js';

export interface IdempotencyReservation {
  key: string;
  requestHash: string;
  appealId: string;
}

const reservation = preparedPerHandle((db) =>
  db
    .insert(idempotencyKeys)
    .values({
      key: sql.placeholder('key'),
      requestHash: sql.placeholder('requestHash'),
      appealId: sql.placeholder('appealId'),
    })
    .onConflictDoNothing()
    .returning({ appealId: idempotencyKeys.appealId, requestHash: idempotencyKeys.requestHash })
    .prepare('idempotency_reservation'),
);

/**
 * Inserts the key's row, or finds the row already there: the answer is the stored request hash
 * and appeal id (this request's own when it was first). Undefined when another request holds
 * the key but has not committed it yet.
 */
export async function reserveIdempotencyKey(
  db: DbOrTx,
  params: IdempotencyReservation,
): Promise<{ appealId: string; requestHash: string } | undefined> {
  const { key, requestHash, appealId } = params;
  const [inserted] = await reservation(db).execute({ key, requestHash, appealId });
  if (inserted) return inserted;
  return findIdempotencyKey(db, key);
}

/** The key's reservation, without making one; undefined when the key was never reserved (or not yet committed). */
export async function findIdempotencyKey(
  db: DbOrTx,
  key: string,
): Promise<{ appealId: string; requestHash: string } | undefined> {
  const [row] = await db
    .select({ appealId: idempotencyKeys.appealId, requestHash: idempotencyKeys.requestHash })
    .from(idempotencyKeys)
    .where(eq(idempotencyKeys.key, key));
  return row;
}
