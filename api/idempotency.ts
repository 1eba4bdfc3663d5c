/** Idempotent starts: hashing the request and turning a reused key into the API's 409. */
import { createHash } from 'node:crypto';
import type { DbOrTx } from '../db/client.js';
import { reserveIdempotencyKey } from '../db/queries/idempotency.js';
import { HttpError } from './errors.js';

/** Canonical JSON (sorted keys) so the same body always hashes the same. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export const requestHash = (body: unknown): string => createHash('sha256').update(canonical(body)).digest('hex');

/** Reserves `key` for this request (or finds it): same body → its appeal id; other body → 409. */
export async function reserve(
  db: DbOrTx,
  params: { key: string; requestHash: string; appealId: string },
): Promise<string> {
  const row = await reserveIdempotencyKey(db, params);
  if (!row) throw new HttpError(409, 'idempotency key is being reserved concurrently; retry');
  if (row.requestHash !== params.requestHash)
    throw new HttpError(
      409,
      `${params.key.startsWith('external:') ? 'externalId' : 'Idempotency-Key'} was already used with a different request body`,
    );
  return row.appealId;
}
