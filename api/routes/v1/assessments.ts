/**
 * Assessments of closed cases (Art. 25) and the units' exemption requests, which the center
 * reviews (Art. 25, 31 容错纠错). Each exemption step changes the row and writes an audit event of
 * the appeal in one transaction. A unit's rates of a month and a level's monthly ranking are
 * computed live from the rows until the month is frozen, then answered as published
 * (db/queries/rates.ts); the center may freeze a month that is over before the Schedule does.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { describeParty } from '../../../domain/appeal.js';
import {
  decideExemption,
  listAssessments,
  requestExemption,
  type ExemptionOutcome,
} from '../../../db/queries/assessment.js';
import { getAppealRecord } from '../../../db/queries/cases.js';
import { findIdempotencyKey } from '../../../db/queries/idempotency.js';
import {
  findRatedUnit,
  levelOf,
  monthRanking,
  unitMonthRates,
  type RankingLevel as Level,
} from '../../../db/queries/rates.js';
import type { Assessment } from '../../../db/schema/index.js';
import { monthEnd } from '../../../domain/months.js';
import { monthlyAssessmentWorkflowId } from '../../../workflows/assessment/definitions.js';
import type { monthlyAssessmentWorkflow } from '../../../workflows/assessment/workflow.js';
import {
  AssessmentView,
  ExemptionDecisionBody,
  FrozenMonthView,
  ExemptionRequestBody,
  Id,
  RankingLevel,
  RankingView,
  UnitMonthView,
} from '../../schemas.js';
import { HttpError } from '../../errors.js';
import { callerKey, reserveForAction } from '../../idempotency.js';
import { partyOf } from '../../plugins/auth.js';
import {
  AppealRef,
  COMMON_ERRORS,
  errors,
  IdempotencyHeaders,
  Month,
  monthSoFar,
  NoQuery,
  principalOf,
  rolesOnly,
} from './shared.js';
import { resolveAppealId } from './appealIds.js';

const RowParams = Type.Object({ appealId: AppealRef, unitId: Id });
/** Who reads every unit's rates and the rankings. */
const READERS_OF_ALL = ['center', 'supervisor', 'admin'] as const;

const view = (r: Assessment): Static<typeof AssessmentView> => ({
  appealId: r.appealId,
  unitId: r.unitId,
  role: r.role,
  closedAt: r.closedAt.toISOString(),
  callbackValid: r.callbackValid,
  contacted: r.contacted,
  resolved: r.resolved,
  satisfaction: r.satisfaction,
  claimedContacted: r.claimedContacted,
  claimedResolved: r.claimedResolved,
  reported: r.reported,
  responded: r.responded,
  exempt: r.exempt,
  exemptReason: r.exemptReason,
  exemption:
    r.exemptionStatus && r.exemptionRequestedAt
      ? {
          status: r.exemptionStatus,
          reason: r.exemptionRequestReason ?? '',
          requestedAt: r.exemptionRequestedAt.toISOString(),
          decisionReason: r.exemptionDecisionReason,
          decidedAt: r.exemptionDecidedAt?.toISOString() ?? null,
        }
      : null,
});

/** A reason of blanks says nothing: a 400 naming the field, like the actions' "reason is required". */
function reasonOf(reason: string): string {
  const trimmed = reason.trim();
  if (!trimmed) throw new HttpError(400, 'body/reason: reason is required', 'body/reason', 'VALIDATION');
  return trimmed;
}

const notFound = () => new HttpError(404, 'assessment not found');

function answer(outcome: ExemptionOutcome, conflict: (row: Assessment) => string): Static<typeof AssessmentView> {
  if (!('refused' in outcome)) return view(outcome.row);
  if (outcome.refused === 'not_found') throw notFound();
  throw new HttpError(409, conflict(outcome.row));
}

const assessmentsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/assessments/:appealId',
    {
      schema: {
        tags: ['assessments'],
        summary: "A closed case's assessments, one per unit assessed, with their exemption state",
        description:
          "Roles: center, supervisor, admin (every row); unit (its own rows only: 404 when it has none). Each row keeps the requester's answers (counted only when `callbackValid`) beside what the unit claimed and whether it reported. An open case has no rows yet. 404 for an unknown appeal.",
        params: Type.Object({ appealId: AppealRef }),
        response: {
          200: Type.Object({ appealId: Type.String(), items: Type.Array(AssessmentView) }),
          ...errors(400, 401, 403, 404, 503),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const appealId = await resolveAppealId(app, request.params.appealId);
      request.log = request.log.child({ appealId });
      if (!['center', 'supervisor', 'admin', 'unit'].includes(principal.role))
        throw new HttpError(403, `role ${principal.role} does not read assessments`);
      if (!(await getAppealRecord(app.db, appealId))) throw new HttpError(404, 'appeal not found');
      const own = principal.role === 'unit' ? principal.unitId : undefined;
      const rows = await listAssessments(app.db, appealId, own);
      // A unit not assessed in the case is told nothing about it.
      if (own !== undefined && rows.length === 0) throw new HttpError(404, 'appeal not found');
      return { appealId, items: rows.map(view) };
    },
  );

  app.post(
    '/assessments/:appealId/:unitId/exemption-request',
    {
      schema: {
        tags: ['assessments'],
        summary: 'A unit asks for an exemption of its assessment, with a reason (Art. 25, 31)',
        description:
          'Role: unit, for its own row only (any other row is a 404). Once per row: 409 if an exemption was already asked for or decided, or the row is exempt. With an `Idempotency-Key` (per API key), a retry of the request that asked for it answers the row again instead of the 409, and the key sent with another request (another row or reason) is a 409. Audited (`assessment_exemption_requested`). Answers the row.',
        headers: IdempotencyHeaders,
        params: RowParams,
        body: ExemptionRequestBody,
        response: { 200: AssessmentView, ...errors(...COMMON_ERRORS) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { unitId } = request.params;
      const appealId = await resolveAppealId(app, request.params.appealId);
      request.log = request.log.child({ appealId, unitId });
      if (principal.role !== 'unit') throw new HttpError(403, `role ${principal.role} may not ask for an exemption`);
      if (principal.unitId !== unitId) throw notFound();
      const reason = reasonOf(request.body.reason);
      const key = request.headers['idempotency-key'];
      const reservation = key && {
        principalName: principal.name,
        idempotencyKey: key,
        action: 'requestExemption',
        appealId,
        body: { unitId, ...request.body },
      };
      // The key is kept with the row's change, in one transaction: only a request that asked for the exemption holds it.
      const outcome = await app.db.transaction(async (tx) => {
        const done = await requestExemption(tx, {
          appealId,
          unitId,
          reason,
          actor: describeParty(partyOf(principal)!),
          caller: principal.name,
          at: new Date(),
        });
        if (reservation && !('refused' in done)) await reserveForAction(tx, reservation);
        return done;
      });
      // A retry of the request that asked for it answers the row, as the first did; another request with its key is a 409.
      if (
        reservation &&
        'refused' in outcome &&
        outcome.refused === 'conflict' &&
        (await findIdempotencyKey(app.db, callerKey(principal.name, reservation.idempotencyKey)))
      ) {
        await reserveForAction(app.db, reservation);
        return view(outcome.row);
      }
      const row = answer(outcome, (r) =>
        r.exempt && !r.exemptionStatus
          ? `the assessment is exempt already: ${r.exemptReason ?? ''}`
          : `an exemption was already asked for (${r.exemptionStatus})`,
      );
      request.log.info('assessment exemption requested');
      return row;
    },
  );

  app.post(
    '/assessments/:appealId/:unitId/exemption-decision',
    {
      schema: {
        tags: ['assessments'],
        summary: "The center decides a unit's exemption request",
        description:
          'Roles: center, admin. `granted: true` makes the row exempt (it leaves the rates); `false` refuses it. 409 when no request is pending. Audited (`assessment_exemption_granted` / `assessment_exemption_refused`). Answers the row.',
        params: RowParams,
        body: ExemptionDecisionBody,
        response: { 200: AssessmentView, ...errors(...COMMON_ERRORS) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { unitId } = request.params;
      const appealId = await resolveAppealId(app, request.params.appealId);
      request.log = request.log.child({ appealId, unitId });
      if (principal.role !== 'center' && principal.role !== 'admin')
        throw new HttpError(403, `role ${principal.role} may not decide exemptions`);
      const reason = reasonOf(request.body.reason);
      const outcome = await decideExemption(app.db, {
        appealId,
        unitId,
        reason,
        granted: request.body.granted,
        actor: describeParty(partyOf(principal)!),
        caller: principal.name,
        at: new Date(),
      });
      const row = answer(outcome, (r) =>
        r.exemptionStatus ? `no exemption request is pending (${r.exemptionStatus})` : 'no exemption was asked for',
      );
      request.log.info({ granted: request.body.granted }, 'assessment exemption decided');
      return row;
    },
  );

  app.get(
    '/assessments/units/:unitId/months/:month',
    {
      schema: {
        tags: ['assessments'],
        summary: "A unit's rates of one month, the weights version used and the month's rows (Art. 25)",
        description:
          "Roles: center, supervisor, admin (any unit); unit (its own only: any other unit is a 404). A row counts in the Beijing month (Asia/Shanghai) of its `closed_at`, or, when that month was already frozen as it was written, in the first month after it that is not. Once the month is frozen (`frozenAt` set) the rates are the ones published in its ranking; the rows are listed as they are now (an exemption granted since shows, but does not change the published rates). Over the rows that are not exempt and have a valid callback: response = contacted ÷ valid; resolution = resolved ÷ valid; satisfaction = (satisfied + 0.9 × basically satisfied) ÷ valid; composite = the weights of the version in force on the month's first day applied to the three (4 decimals each). A unit without valid callbacks answers `valid: 0` and null rates, not zero. 403 for another role, before the parameters are looked at. 400 naming the field for a month that is not `YYYY-MM` or is after the current Beijing month, or for any query parameter (it takes none); 404 for an unknown unit.",
        params: Type.Object({ unitId: Id, month: Month }),
        querystring: NoQuery,
        response: { 200: UnitMonthView, ...errors(400, 401, 403, 404, 503) },
      },
      preValidation: rolesOnly([...READERS_OF_ALL, 'unit'], 'does not read assessment rates'),
    },
    async (request) => {
      const principal = principalOf(request);
      const { unitId, month } = request.params;
      request.log = request.log.child({ unitId, month });
      if (principal.role === 'unit' && principal.unitId !== unitId) throw new HttpError(404, 'unit not found');
      monthSoFar(month);
      const unit = await findRatedUnit(app.db, unitId);
      if (!unit) throw new HttpError(404, 'unit not found');
      const result = await unitMonthRates(app.db, unitId, month);
      return {
        unitId,
        name: unit.name,
        kind: unit.kind,
        level: levelOf(unit.kind),
        month,
        weights: result.weights,
        rates: result.rates,
        items: result.items.map(view),
        frozenAt: result.frozenAt,
      };
    },
  );

  app.get(
    '/rankings/:month',
    {
      schema: {
        tags: ['assessments'],
        summary: "A month's ranking of one level by the composite (Art. 25)",
        description:
          'Roles: center, supervisor, admin. A frozen month (`frozenAt` set: frozen at 00:30 Beijing time on the 1st of the next month, or by `POST /v1/rankings/:month/freeze`) answers its published ranking, which never changes: a callback recorded after the freeze for a case closed in that month counts in the next month not frozen. Any other month is computed live (`frozenAt: null`) over the rows counted in it. `level`: `street` (the streets and townships together), `department` (city and district departments, sector authorities and the district governments, each ranked on the appeals it handled as a unit), `enterprise` (public service enterprises); the hotline center and the central/military liaison are not ranked. Every unit of the level is listed. Ranks are RANK() over the composite (4 decimals), highest first: units with an equal composite share a rank and the next rank skips (1, 1, 3); units of one rank are listed by unit id. Units without a valid callback this month follow, unranked (`rank: null`), by unit id. `previousRank` is the rank of the previous month (its published rank when that month is frozen) and `rankChange` = previousRank − rank (positive: moved up), null unless ranked in both months. 403 for every other role (a unit or coordinator key reads its own rates, never a ranking), before the parameters are looked at. 400 naming the field for a month that is not `YYYY-MM` or is after the current Beijing month, a missing or unknown level, or another query parameter.',
        params: Type.Object({ month: Month }),
        querystring: Type.Object({ level: RankingLevel }, { additionalProperties: false }),
        response: { 200: RankingView, ...errors(400, 401, 403, 503) },
      },
      preValidation: rolesOnly(READERS_OF_ALL, 'does not read rankings'),
    },
    async (request) => {
      const { month } = request.params;
      const { level } = request.query;
      request.log = request.log.child({ month, level });
      return monthRanking(app.db, monthSoFar(month), level as Level);
    },
  );

  app.post(
    '/rankings/:month/freeze',
    {
      schema: {
        tags: ['assessments'],
        summary: "Freeze a month's rankings now (Art. 25)",
        description:
          "Roles: center, admin. Runs `monthlyAssessmentWorkflow` for the month (workflow id `monthly-assessment-<month>`), as the Schedule does at 00:30 Beijing time on the 1st of the next month, and answers once the month is frozen. Idempotent: a month already frozen stays as published and answers `frozenNow: false` with when and by which execution it was frozen; a call while a freeze of the month runs waits for that one. 409 for a month that is not over (Beijing time); 503 when no worker froze it within the API's timeout (retry: the freeze is idempotent).",
        params: Type.Object({ month: Month }),
        response: { 200: FrozenMonthView, ...errors(400, 401, 403, 409, 503) },
      },
      preValidation: rolesOnly(['center', 'admin'], 'does not freeze rankings'),
    },
    async (request) => {
      const { month } = request.params;
      request.log = request.log.child({ month });
      if (monthEnd(month) > new Date()) throw new HttpError(409, `month ${month} is not over: it cannot be frozen yet`);
      const handle = await app.temporal.workflow.start<typeof monthlyAssessmentWorkflow>('monthlyAssessmentWorkflow', {
        taskQueue: app.config.TEMPORAL_TASK_QUEUE,
        workflowId: monthlyAssessmentWorkflowId(month),
        args: [{ month }],
        // A call while a freeze runs joins it; after it, a new run answers "already frozen".
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      try {
        const outcome = await app.temporal.withDeadline(Date.now() + app.config.WORKFLOW_TIMEOUT_MS, () =>
          handle.result(),
        );
        request.log.info({ frozenNow: outcome.frozenNow, frozenAt: outcome.frozenAt }, 'rankings frozen');
        return outcome;
      } catch (error) {
        // The workflow's clock said the month is not over yet (a call at the turn of the month).
        let cause: unknown = error instanceof WorkflowFailedError ? error.cause : undefined;
        while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
        if (cause instanceof ApplicationFailure && cause.type === 'MonthNotOver')
          throw new HttpError(409, cause.message);
        throw error;
      }
    },
  );
};

export default assessmentsRoutes;
