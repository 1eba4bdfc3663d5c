import { and, desc, eq, gte, isNull, lte, ne, or } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { appeals } from '../schema/cases.js';

const DAY_MS = 86_400_000;

export interface DuplicateQuery {
  /** Personal data: used to match, never logged or returned. */
  requesterPhone: string;
  categoryCode: string;
  /** The place: the street when known, otherwise the district; neither known = any place. */
  streetId?: string | null;
  districtId?: string | null;
  /** The instant the new appeal was received. */
  at: Date;
  /** How far back an appeal counts as the same matter (received, or closed, within it). */
  windowDays: number;
  /** The new appeal itself (it is recorded at intake, before triage looks for duplicates). */
  excludeAppealId?: string;
  limit?: number;
}

export interface DuplicateCandidate {
  id: string;
  stage: string;
  leadUnitId: string | null;
  dueAt: Date | null;
  disposition: string | null;
  receivedAt: Date;
  closedAt: Date | null;
}

/**
 * Candidate originals for triage (Art. 12, 并单): appeals from the same requester phone, in
 * the same category and place, received within the window before `at`, still open or closed
 * within the window. Appeals already merged into another are left out (their original is the
 * candidate). Most recent first.
 */
export async function findDuplicateCandidates(db: DbOrTx, query: DuplicateQuery): Promise<DuplicateCandidate[]> {
  if (!query.requesterPhone) return [];
  const since = new Date(query.at.getTime() - query.windowDays * DAY_MS);
  const place = query.streetId
    ? eq(appeals.streetId, query.streetId)
    : query.districtId
      ? eq(appeals.districtId, query.districtId)
      : undefined;
  return db
    .select({
      id: appeals.id,
      stage: appeals.stage,
      leadUnitId: appeals.leadUnitId,
      dueAt: appeals.dueAt,
      disposition: appeals.disposition,
      receivedAt: appeals.receivedAt,
      closedAt: appeals.closedAt,
    })
    .from(appeals)
    .where(
      and(
        eq(appeals.requesterPhone, query.requesterPhone),
        eq(appeals.categoryCode, query.categoryCode),
        place,
        gte(appeals.receivedAt, since),
        lte(appeals.receivedAt, query.at),
        or(isNull(appeals.closedAt), gte(appeals.closedAt, since)),
        isNull(appeals.originalAppealId),
        query.excludeAppealId ? ne(appeals.id, query.excludeAppealId) : undefined,
      ),
    )
    .orderBy(desc(appeals.receivedAt))
    .limit(query.limit ?? 10);
}
