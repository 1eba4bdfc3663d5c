import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import * as d from '../../../workflows/appeal/definitions.js';
import { ActionBodies } from '../../schemas.js';
import { HttpError } from '../../errors.js';
import { partyOf, type Role } from '../../plugins/auth.js';
import { assertCanSee, liveCase, workflowGone } from './cases.js';
import { getAppealRecord } from '../../../db/queries/cases.js';
import { CaseRef, COMMON_ERRORS, errors, IdempotencyHeaders, IdParams, principalOf } from './shared.js';

/** Each action: its path, Update, body and the roles that may send it at all (the workflow checks the rest). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each action pairs its own input type with its body schema
type AnyCaseUpdate = UpdateDefinition<d.AppealCase, [any]>;
const ACTIONS: { path: string; update: AnyCaseUpdate; body: TSchema; summary: string; roles: Role[] }[] = [
  {
    path: 'triage',
    update: d.triageAppealUpdate,
    body: ActionBodies.triage,
    summary: 'Triage: dispatch or close (Art. 12)',
    roles: ['center', 'admin'],
  },
  {
    path: 'consultation-opinion',
    update: d.giveConsultationOpinionUpdate,
    body: ActionBodies.consultationOpinion,
    summary: 'A candidate unit gives its consultation opinion',
    roles: ['unit'],
  },
  {
    path: 'consultation-conclusion',
    update: d.concludeConsultationUpdate,
    body: ActionBodies.consultationConclusion,
    summary: 'The center concludes the consultation',
    roles: ['center', 'admin'],
  },
  {
    path: 'accept',
    update: d.acceptDispatchUpdate,
    body: ActionBodies.accept,
    summary: 'The dispatched unit accepts',
    roles: ['unit'],
  },
  {
    path: 'object',
    update: d.objectToDispatchUpdate,
    body: ActionBodies.object,
    summary: 'The dispatched unit objects',
    roles: ['unit'],
  },
  {
    path: 'objection-decision',
    update: d.decideObjectionUpdate,
    body: ActionBodies.objectionDecision,
    summary: 'The center decides an objection',
    roles: ['center', 'admin'],
  },
  {
    path: 'first-contact',
    update: d.recordFirstContactUpdate,
    body: ActionBodies.firstContact,
    summary: 'The lead unit records first contact with the requester',
    roles: ['unit'],
  },
  {
    path: 'co-handlers',
    update: d.addCoHandlerUpdate,
    body: ActionBodies.coHandlers,
    summary: 'Add a co-handling unit',
    roles: ['unit', 'center', 'admin'],
  },
  {
    path: 'co-handler-report',
    update: d.reportCoHandlerPartUpdate,
    body: ActionBodies.coHandlerReport,
    summary: 'A co-handler reports its part',
    roles: ['unit'],
  },
  {
    path: 'whistle',
    update: d.blowWhistleUpdate,
    body: ActionBodies.whistle,
    summary: 'A street lead blows the whistle (Art. 18)',
    roles: ['unit'],
  },
  {
    path: 'report-in',
    update: d.reportInUpdate,
    body: ActionBodies.reportIn,
    summary: 'A summoned department reports in',
    roles: ['unit'],
  },
  {
    path: 'extension-request',
    update: d.requestExtensionUpdate,
    body: ActionBodies.extensionRequest,
    summary: 'The lead unit asks for an extension',
    roles: ['unit'],
  },
  {
    path: 'extension-decision',
    update: d.decideExtensionUpdate,
    body: ActionBodies.extensionDecision,
    summary: 'The center decides an extension',
    roles: ['center', 'admin'],
  },
  {
    path: 'coordination-request',
    update: d.requestCoordinationUpdate,
    body: ActionBodies.coordinationRequest,
    summary: 'Ask a coordinator (district government / sector authority)',
    roles: ['unit', 'center', 'admin'],
  },
  {
    path: 'coordination-opinion',
    update: d.giveCoordinationOpinionUpdate,
    body: ActionBodies.coordinationOpinion,
    summary: 'The coordinator gives its opinion',
    roles: ['coordinator'],
  },
  {
    path: 'result',
    update: d.reportResultUpdate,
    body: ActionBodies.result,
    summary: 'The lead unit reports the result',
    roles: ['unit'],
  },
  {
    path: 'callback',
    update: d.recordCallbackUpdate,
    body: ActionBodies.callback,
    summary: 'The center records the callback answer',
    roles: ['center', 'admin'],
  },
  {
    path: 'rehandling',
    update: d.orderRehandlingUpdate,
    body: ActionBodies.rehandling,
    summary: 'The center orders re-handling',
    roles: ['center', 'admin'],
  },
  {
    path: 'withdraw',
    update: d.withdrawAppealUpdate,
    body: ActionBodies.withdraw,
    summary: 'Intake records the requester withdrawing',
    roles: ['intake'],
  },
  {
    path: 'merge',
    update: d.mergeAppealUpdate,
    body: ActionBodies.merge,
    summary: 'The center merges into an original appeal',
    roles: ['center', 'admin'],
  },
];

const actionsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const action of ACTIONS) {
    app.post(
      `/appeals/:id/${action.path}`,
      {
        schema: {
          tags: ['actions'],
          summary: action.summary,
          description: `Update \`${action.update.name}\`. Roles: ${action.roles.join(', ')}. Answers the case after the workflow has acted on it. With an \`Idempotency-Key\` (per API key), a retry is the same Update: it answers the first outcome instead of acting twice.`,
          headers: IdempotencyHeaders,
          params: IdParams,
          body: action.body,
          response: { 200: CaseRef, ...errors(...COMMON_ERRORS) },
        },
      },
      async (request) => {
        const appealId = request.params.id;
        request.log = request.log.child({ appealId, action: action.path });
        const principal = principalOf(request);
        const by = partyOf(principal);
        if (!by || !action.roles.includes(principal.role))
          throw new HttpError(403, `role ${principal.role} may not ${action.path}`);
        // A unit sees only its cases: the record (current once an action has answered) says which, 404 outside them.
        if (principal.role === 'unit' || principal.role === 'coordinator')
          assertCanSee(principal, (await getAppealRecord(app.db, appealId))?.involvedUnitIds ?? []);
        const handle = app.temporal.workflow.getHandle(d.appealWorkflowId(appealId));
        try {
          const key = request.headers['idempotency-key'];
          // Bounded: with no worker to run it, the Update would wait indefinitely (the caller gets a 503).
          const next = await app.temporal.withDeadline(Date.now() + app.config.WORKFLOW_TIMEOUT_MS, () =>
            handle.executeUpdate(action.update, {
              args: [{ ...(request.body as object), by }],
              // The Update id makes a retried request the same Update: Temporal answers its first outcome.
              ...(key ? { updateId: `${principal.name}:${key}` } : {}),
            }),
          );
          return liveCase(next);
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          throw await workflowGone(app, appealId, action.path);
        }
      },
    );
  }

  // Telephony's callback answers come as a signal: nothing waits for the workflow to act on them.
  const callbackRoles: Role[] = ['center', 'admin'];
  app.post(
    '/appeals/:id/callback-answers',
    {
      schema: {
        tags: ['actions'],
        summary: 'Telephony delivers a callback answer (fire-and-forget)',
        description: `Signal \`${d.recordCallbackSignal.name}\`. Roles: ${callbackRoles.join(', ')}. Fire-and-forget: 202 means the answer was delivered to the open case, not that it was taken. The workflow applies it when the case is in its callback stage and the answer is allowed there; otherwise it is ignored without an error. To learn whether an answer was refused, use the Update route \`POST /v1/appeals/{id}/callback\`, which answers the case or the refusal.`,
        params: IdParams,
        body: ActionBodies.callback,
        response: {
          202: Type.Object({ accepted: Type.Literal(true), appealId: Type.String() }),
          ...errors(...COMMON_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const appealId = request.params.id;
      request.log = request.log.child({ appealId, action: 'callback-answers' });
      const principal = principalOf(request);
      const by = partyOf(principal);
      if (!by || !callbackRoles.includes(principal.role))
        throw new HttpError(403, `role ${principal.role} may not send callback answers`);
      // A closed case takes no answer, even while its workflow is still finishing.
      if ((await getAppealRecord(app.db, appealId))?.stage === 'closed')
        throw new HttpError(409, 'callback-answers is not allowed: the appeal is closed');
      const handle = app.temporal.workflow.getHandle(d.appealWorkflowId(appealId));
      try {
        await handle.signal(d.recordCallbackSignal, { ...request.body, by });
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        throw await workflowGone(app, appealId, 'callback-answers');
      }
      return reply.code(202).send({ accepted: true as const, appealId });
    },
  );
};

export default actionsRoutes;
