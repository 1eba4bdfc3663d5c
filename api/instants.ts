/** Instants PostgreSQL's `timestamptz` and JavaScript's `Date` both hold: years 0001 to 9999 UTC. */
const FIRST_INSTANT = Date.UTC(1, 0, 1);
const LAST_INSTANT = Date.UTC(10000, 0, 1);

/** Whether `ms` (epoch milliseconds, maybe NaN) is an instant the API can store and compare. */
export const isStorableInstant = (ms: number): boolean => ms >= FIRST_INSTANT && ms < LAST_INSTANT;
