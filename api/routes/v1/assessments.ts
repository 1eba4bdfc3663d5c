/**
 * Assessments of closed cases (Art. 25) and the units' exemption requests, which the center
 * reviews (Art. 25, 31 容错纠错). Each exemption step changes the row and writes an audit event of
 * the appeal in one transaction.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { describeParty } from '../../../domain/appeal.js';
import {
  decideExemption,
  listAssessments,
  requestExemption,
  type ExemptionOutcome,
} from '../../../db/queries/assessment.js';
import { getAppealRecord } from '../../../db/queries/cases.js';
import type { Assessment } from '../../../db/schema/index.js';
import { AssessmentView, ExemptionDecisionBody, ExemptionRequestBody } from '../../schemas.js';
import { HttpError } from '../../errors.js';
import { partyOf } from '../../plugins/auth.js';
import { COMMON_ERRORS, errors, principalOf } from './shared.js';

const Id = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' });
const RowParams = Type.Object({ appealId: Id, unitId: Id });

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
        params: Type.Object({ appealId: Id }),
        response: {
          200: Type.Object({ appealId: Type.String(), items: Type.Array(AssessmentView) }),
          ...errors(400, 401, 403, 404, 503),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { appealId } = request.params;
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
          'Role: unit, for its own row only (any other row is a 404). Once per row: 409 if an exemption was already asked for or decided, or the row is exempt. Audited (`assessment_exemption_requested`). Answers the row.',
        params: RowParams,
        body: ExemptionRequestBody,
        response: { 200: AssessmentView, ...errors(...COMMON_ERRORS) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { appealId, unitId } = request.params;
      request.log = request.log.child({ appealId, unitId });
      if (principal.role !== 'unit') throw new HttpError(403, `role ${principal.role} may not ask for an exemption`);
      if (principal.unitId !== unitId) throw notFound();
      const reason = reasonOf(request.body.reason);
      const outcome = await requestExemption(app.db, {
        appealId,
        unitId,
        reason,
        actor: describeParty(partyOf(principal)!),
        caller: principal.name,
        at: new Date(),
      });
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
      const { appealId, unitId } = request.params;
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
};

export default assessmentsRoutes;
