/**
 * Cursors of the lists paged by an instant and an id (the appeals by intake, the dead letters by
 * when they were given up on): `<ISO instant>|<id>`, base64url. Decoding takes only what encoding
 * writes; anything else is a 400 naming the parameter, never a query.
 */
import { HttpError } from './errors.js';
import { isStorableInstant } from './instants.js';

const CURSOR_ID = /^[A-Za-z0-9._:-]{1,200}$/;

/** A string that is an instant exactly as `toISOString` writes it, within what PostgreSQL stores. */
export const isIsoInstant = (value: unknown): value is string =>
  typeof value === 'string' && isStorableInstant(Date.parse(value)) && new Date(value).toISOString() === value;

export const notACursor = () =>
  new HttpError(400, 'querystring/cursor: not a cursor of this list', 'querystring/cursor', 'VALIDATION');

export const encodeInstantCursor = (at: Date, id: string): string =>
  Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');

export function decodeInstantCursor(cursor: string): { at: Date; id: string } {
  const [at = '', id = '', ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (rest.length > 0 || !isIsoInstant(at) || !CURSOR_ID.test(id)) throw notACursor();
  return { at: new Date(at), id };
}
