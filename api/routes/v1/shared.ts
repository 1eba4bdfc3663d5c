/** Schema pieces and helpers the /v1 route files share. */
import { Type, type Static } from '@sinclair/typebox';
import { and, arrayContains, eq, or, sql, type SQL } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Stage } from '../../../domain/appeal.js';
import { beijingMonthOf, MONTH_PATTERN } from '../../../domain/months.js';
import { appeals } from '../../../db/schema/index.js';
import type { DbOrTx } from '../../../db/client.js';
import { findHandlingUnit, type HandlingUnit } from '../../../db/queries/directory.js';
import { AppealCaseSchema, AppealSummary, ErrorBody, Id } from '../../schemas.js';
import type { Principal, Role } from '../../plugins/auth.js';
import { HttpError } from '../../errors.js';
import { contentFirstLine } from '../../visibility.js';

const E = Type.Ref(ErrorBody);
/** Response schemas for error statuses: each answers the common error body. */
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, E]));
/** Every error status a case-changing POST can answer. */
export const COMMON_ERRORS = [400, 401, 403, 404, 409, 413, 415, 503];
export const CaseRef = Type.Ref(AppealCaseSchema);
/** The caller's key for a request it may retry; scoped to the caller's API key. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
/** An appeal in a path: its id, or its work order number (`YYYYMMDD-NNNNNN`, see `appealIds.ts`). */
export const AppealRef = Type.String({
  ...Id,
  description: 'The appeal id or its work order number (工单编号, `YYYYMMDD-NNNNNN`)',
});
export const IdParams = Type.Object({ id: AppealRef });
/** The query string of a route that takes no parameters: one sent is a 400 naming it. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

/** The caller; set by the /v1 authentication hook before any handler runs. */
export const principalOf = (request: FastifyRequest): Principal => request.principal!;

/**
 * A route's `preValidation`: a role that never reads the route is a 403 before its parameters are
 * looked at, so such a caller is not told to fix a parameter that would change nothing.
 */
export const rolesOnly =
  (roles: readonly Role[], what: string) =>
  (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    const { role } = principalOf(request);
    done(roles.includes(role) ? undefined : new HttpError(403, `role ${role} ${what}`));
  };

/** A Beijing calendar month in a path; a read of its figures takes it up to the current one (`monthSoFar`). */
export const Month = Type.String({ pattern: MONTH_PATTERN, description: 'A Beijing calendar month, `YYYY-MM`' });

/** A month's figures exist up to the current Beijing month: a later one is a 400, not empty tables. */
export function monthSoFar(month: string, now = new Date()): string {
  const current = beijingMonthOf(now);
  if (month > current)
    throw new HttpError(
      400,
      `params/month: must not be after the current month, ${current} (Beijing time)`,
      'params/month',
      'VALIDATION',
    );
  return month;
}

/**
 * What a list item is made of: the record's columns, without the case's JSON documents (a page
 * of 50 would carry them all), and since when the case is overdue, read out of its current case
 * (its final case once closed).
 */
export const summaryColumns = {
  id: appeals.id,
  workOrderNo: appeals.workOrderNo,
  stage: appeals.stage,
  appealType: appeals.appealType,
  categoryCode: appeals.categoryCode,
  content: appeals.content,
  districtId: appeals.districtId,
  streetId: appeals.streetId,
  leadUnitId: appeals.leadUnitId,
  coHandlerIds: appeals.coHandlerIds,
  involvedUnitIds: appeals.involvedUnitIds,
  nextActor: appeals.nextActor,
  pendingActors: appeals.pendingActors,
  waitingSince: appeals.waitingSince,
  dueAt: appeals.dueAt,
  overdue: appeals.overdue,
  escalationLevel: appeals.escalationLevel,
  receivedAt: appeals.receivedAt,
  closedAt: appeals.closedAt,
  overdueSince: sql<
    string | null
  >`coalesce(${appeals.currentCase}->>'overdueSince', ${appeals.finalCase}->>'overdueSince')`.as('overdue_since'),
};
type SummaryRow = Omit<
  { [K in keyof typeof summaryColumns]: (typeof appeals.$inferSelect)[K & keyof typeof appeals.$inferSelect] },
  'overdueSince'
> & {
  overdueSince: string | null;
};

export const summarize = (r: SummaryRow): Static<typeof AppealSummary> => ({
  appealId: r.id,
  workOrderNo: r.workOrderNo,
  stage: r.stage as Stage,
  appealType: r.appealType,
  categoryCode: r.categoryCode,
  // Enough to tell cases apart in a list; the requester's contact is never part of a summary.
  contentFirstLine: contentFirstLine(r.content),
  districtId: r.districtId,
  streetId: r.streetId,
  leadUnitId: r.leadUnitId,
  coHandlerIds: r.coHandlerIds,
  involvedUnitIds: r.involvedUnitIds,
  nextActor: r.nextActor,
  pendingActors: r.pendingActors,
  waitingSince: r.waitingSince?.toISOString() ?? null,
  dueAt: r.dueAt?.toISOString() ?? null,
  overdue: r.overdue,
  overdueSince: r.overdueSince,
  escalationLevel: r.escalationLevel,
  receivedAt: r.receivedAt.toISOString(),
  closedAt: r.closedAt?.toISOString() ?? null,
});

/**
 * Appeals a unit is a party to: it leads, supervises, co-handles, was summoned, coordinates or was
 * consulted (the record's involved units); and, for the government of a district, the appeals of
 * its district flagged a risk to social stability, pushed to it at intake (Art. 11). `unit`: the
 * unit as the directory has it (undefined: unknown, only the involved units count).
 */
export function unitFilter(unitId: string, unit: Pick<HandlingUnit, 'kind' | 'districtId'> | undefined): SQL {
  const involved = arrayContains(appeals.involvedUnitIds, [unitId]);
  if (unit?.kind !== 'district_government' || !unit.districtId) return involved;
  // The flag as the bare column, the predicate of the partial index that serves this (appeals_stability_risk_district_idx).
  return or(involved, and(sql`${appeals.stabilityRisk}`, eq(appeals.districtId, unit.districtId)))!;
}

/** `unitFilter` of a unit id as given, looked up in the directory. */
export const unitFilterOf = async (db: DbOrTx, unitId: string): Promise<SQL> =>
  unitFilter(unitId, await findHandlingUnit(db, unitId));

/** The actor names a unit answers to. */
export const actorsOf = (unitId: string): string[] => [`unit:${unitId}`, `coordinator:${unitId}`];
