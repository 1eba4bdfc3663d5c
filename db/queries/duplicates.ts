import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { preparedPerHandle, type DbOrTx } from '../client.js';
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
  return duplicateCandidates(db).execute({
    phone: query.requesterPhone,
    category: query.categoryCode,
    street: query.streetId ?? null,
    district: query.districtId ?? null,
    since: new Date(query.at.getTime() - query.windowDays * DAY_MS),
    at: query.at,
    exclude: query.excludeAppealId ?? null,
    limit: query.limit ?? 10,
  });
}

/** One statement for every search, prepared by name: the place and the exclusion are optional by parameter. */
const STREET = sql`${sql.placeholder('street')}::text`;
const DISTRICT = sql`${sql.placeholder('district')}::text`;
const SINCE = sql`${sql.placeholder('since')}::timestamptz`;
const EXCLUDE = sql`${sql.placeholder('exclude')}::text`;

const duplicateCandidates = preparedPerHandle((db) =>
  db
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
        eq(appeals.requesterPhone, sql.placeholder('phone')),
        eq(appeals.categoryCode, sql.placeholder('category')),
        // The place: the street when known, otherwise the district; neither known = any place.
        sql`(${STREET} is null or ${appeals.streetId} = ${STREET})`,
        sql`(${STREET} is not null or ${DISTRICT} is null or ${appeals.districtId} = ${DISTRICT})`,
        sql`${appeals.receivedAt} >= ${SINCE}`,
        sql`${appeals.receivedAt} <= ${sql.placeholder('at')}::timestamptz`,
        sql`(${appeals.closedAt} is null or ${appeals.closedAt} >= ${SINCE})`,
        isNull(appeals.originalAppealId),
        sql`(${EXCLUDE} is null or ${appeals.id} <> ${EXCLUDE})`,
      ),
    )
    .orderBy(desc(appeals.receivedAt))
    .limit(sql.placeholder('limit'))
    .prepare('duplicate_candidates'),
);
