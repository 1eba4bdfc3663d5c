/** What PostgreSQL said when it refused a statement, found under the wrappers (drizzle's query error). */
import pg from 'pg';

export interface PostgresRefusal {
  /** The SQLSTATE, e.g. `22021`. */
  code: string;
  /** PostgreSQL's message (never its `detail`, which may quote the row's values). */
  message: string;
}

/** The PostgreSQL error behind `error`, if any (drizzle wraps it as the `cause`). */
export function postgresError(error: unknown): PostgresRefusal | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof pg.DatabaseError && typeof e.code === 'string') return { code: e.code, message: e.message };
  }
  return undefined;
}

/**
 * Whether PostgreSQL refused the data itself, so the same statement fails again however often
 * it is retried: class 22 (data exception: an invalid byte sequence, an untranslatable
 * character, a value out of range …) or class 23 (integrity constraint violation).
 */
export const isDataRefusal = (refusal: PostgresRefusal | undefined): refusal is PostgresRefusal =>
  refusal !== undefined && /^2[23]/.test(refusal.code);
