/**
 * Who read what (Art. 26, 29(4)): the API writes one statement per answer that discloses a
 * requester's contact or an appeal's content, before the answer leaves; supervisors page through
 * it. The table is append-only (migration 0011's trigger refuses UPDATE, DELETE and TRUNCATE).
 */
import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { preparedPerHandle, type DbOrTx } from '../client.js';
import { readAudit, READ_FIELDS, type ReadAuditRow, type ReadField } from '../schema/privacy.js';

/** The caller and the route of one answer. */
export interface Reader {
  /** The API key's name (never the key). */
  keyName: string;
  role: string;
  unitId?: string | null;
  /** `GET /v1/appeals/:id`: the method and the route's pattern, not the URL (no query strings in the trail). */
  route: string;
  requestId?: string | null;
  /** The workflow execution the request said it read (the codec server's caller), if it said. */
  workflowId?: string | null;
}

/** What one answer disclosed of one appeal, or (`appealId: null`) of text that names no appeal. */
export interface AppealRead {
  appealId: string | null;
  fields: readonly ReadField[];
}

/**
 * Writes the reads of one answer in one INSERT (one row per appeal, and one for what named no
 * appeal, its fields merged, in the order of `READ_FIELDS`); nothing when the answer disclosed
 * nothing. Returns the rows written.
 */
export async function recordReads(db: DbOrTx, reader: Reader, reads: readonly AppealRead[]): Promise<number> {
  const byAppeal = new Map<string | null, Set<ReadField>>();
  for (const read of reads) {
    if (read.fields.length === 0) continue;
    const fields = byAppeal.get(read.appealId) ?? new Set<ReadField>();
    for (const f of read.fields) fields.add(f);
    byAppeal.set(read.appealId, fields);
  }
  if (byAppeal.size === 0) return 0;
  const rows = [...byAppeal].map(([appealId, fields]) => ({
    keyName: reader.keyName,
    role: reader.role,
    unitId: reader.unitId ?? null,
    appealId,
    fields: READ_FIELDS.filter((f) => fields.has(f)),
    route: reader.route,
    requestId: reader.requestId ?? null,
    workflowId: reader.workflowId ?? null,
  }));
  // Most answers disclose one appeal: that INSERT is prepared.
  if (rows.length === 1) await oneRead(db).execute(rows[0]);
  else await db.insert(readAudit).values(rows);
  return byAppeal.size;
}

const oneRead = preparedPerHandle((db) =>
  db
    .insert(readAudit)
    .values({
      keyName: sql.placeholder('keyName'),
      role: sql.placeholder('role'),
      unitId: sql.placeholder('unitId'),
      appealId: sql.placeholder('appealId'),
      fields: sql.placeholder('fields'),
      route: sql.placeholder('route'),
      requestId: sql.placeholder('requestId'),
      workflowId: sql.placeholder('workflowId'),
    })
    .prepare('read_audit_row'),
);

export interface ReadAuditFilter {
  appealId?: string;
  keyName?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Only rows with a smaller id (the previous page's `nextBefore`). */
  before?: number;
  limit: number;
}

/**
 * Reads of the trail, newest first (by id: ids grow with insertion, so a page boundary is exact
 * even when two rows share an instant). One row more than `limit` tells whether a next page exists.
 */
export async function listReads(
  db: DbOrTx,
  filter: ReadAuditFilter,
): Promise<{ rows: ReadAuditRow[]; nextBefore: number | null }> {
  const where: (SQL | undefined)[] = [
    filter.appealId ? eq(readAudit.appealId, filter.appealId) : undefined,
    filter.keyName ? eq(readAudit.keyName, filter.keyName) : undefined,
    filter.from ? gte(readAudit.at, filter.from) : undefined,
    filter.to ? lt(readAudit.at, filter.to) : undefined,
    filter.before !== undefined ? lt(readAudit.id, filter.before) : undefined,
  ];
  const found = await db
    .select()
    .from(readAudit)
    .where(and(...where))
    .orderBy(desc(readAudit.id))
    .limit(filter.limit + 1);
  const rows = found.slice(0, filter.limit);
  return { rows, nextBefore: found.length > filter.limit ? rows.at(-1)!.id : null };
}
