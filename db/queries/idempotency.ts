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
  const [existing] = await db
    .select({ appealId: idempotencyKeys.appealId, requestHash: idempotencyKeys.requestHash })
    .from(idempotencyKeys)
    .where(eq(idempotencyKeys.key, params.key));
  return existing;
}
