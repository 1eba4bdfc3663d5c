/** Idempotent starts and actions: hashing the request and turning a reused key into the API's 409. */
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

/**
 * Reserves `key` for this request (or finds it): same request → its appeal id; another → 409.
 * `other` says what a different request is (a start's body; an action, appeal or body).
 */
export async function reserve(
  db: DbOrTx,
  params: { key: string; requestHash: string; appealId: string },
  other = 'a different request body',
): Promise<string> {
  const row = await reserveIdempotencyKey(db, params);
  if (!row) throw new HttpError(409, 'idempotency key is being reserved concurrently; retry');
  if (row.requestHash !== params.requestHash)
    throw new HttpError(
      409,
      `${params.key.startsWith('external:') ? 'externalId' : 'Idempotency-Key'} was already used with ${other}`,
    );
  return row.appealId;
}

/** The key a caller's `Idempotency-Key` is kept under: one namespace for its starts and its actions. */
export const callerKey = (principalName: string, idempotencyKey: string): string =>
  `key:${principalName}:${idempotencyKey}`;

/**
 * An action's `Idempotency-Key`: reserved for this action on this appeal with this body, so a
 * retry replays the first outcome (the same Update id) and a key reused for anything else is a
 * 409 instead of an answer for an action that was never taken.
 */
export async function reserveForAction(
  db: DbOrTx,
  params: { principalName: string; idempotencyKey: string; action: string; appealId: string; body: unknown },
): Promise<void> {
  const { principalName, idempotencyKey, action, appealId, body } = params;
  await reserve(
    db,
    { key: callerKey(principalName, idempotencyKey), requestHash: requestHash({ action, appealId, body }), appealId },
    'a different request (another action, appeal or body)',
  );
}
