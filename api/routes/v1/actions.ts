import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { ACTION_RULES, describeRule, rolesFor, type ActionName } from '../../../domain/actions.js';
import * as d from '../../../workflows/appeal/definitions.js';
import { ActionBodies } from '../../schemas.js';
import { HttpError } from '../../errors.js';
import { referenceRefusal } from '../../references.js';
import { checkedAttachments } from '../../attachments.js';
import { resolveAppealId } from './appealIds.js';
import { partyOf, type Principal } from '../../plugins/auth.js';
import { assertCanSee, liveCase, notFound, presentCase, workflowGone } from './cases.js';
import { getAppealRecord } from '../../../db/queries/cases.js';
import { planWithDecision } from '../../dispatchPlan.js';
import { reserveForAction } from '../../idempotency.js';
import { CaseRef, COMMON_ERRORS, errors, IdempotencyHeaders, IdParams, principalOf } from './shared.js';

/** The 403 for a role the rules table never lets do the action, before anything is looked up. */
function assertRole(principal: Principal, action: ActionName, what: string): NonNullable<ReturnType<typeof partyOf>> {
  const by = partyOf(principal);
  if (!by || !(rolesFor(action) as string[]).includes(principal.role))
    throw new HttpError(403, `role ${principal.role} may not ${what}`);
  return by;
}

/**
 * A 404 before a 400: the caller learns that its references are wrong only for an appeal that
 * exists. Called only on a refusal, so an accepted action pays nothing for it. (A case just
 * started may have no record yet: then its workflow answers.)
 */
async function assertAppealExists(app: FastifyInstance, appealId: string): Promise<void> {
  if (await getAppealRecord(app.db, appealId)) return;
  try {
    await app.temporal.workflow.getHandle(d.appealWorkflowId(appealId)).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw notFound();
    throw error;
  }
}

const actionsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const [action, rule] of Object.entries(ACTION_RULES) as [ActionName, (typeof ACTION_RULES)[ActionName]][]) {
    const update = d.ACTION_UPDATES[action];
    app.post(
      `/appeals/:id/${rule.path}`,
      {
        schema: {
          tags: ['actions'],
          summary: rule.summary,
          description: `Update \`${update.name}\`. ${describeRule(action)} Answers the case after the workflow has acted on it. References in the body (units, appeals) must exist and fit the action, else 400 naming the field, before anything reaches the case. With an \`Idempotency-Key\` (per API key), a retry is the same Update: it answers the first outcome instead of acting twice.`,
          headers: IdempotencyHeaders,
          params: IdParams,
          body: ActionBodies[action],
          response: { 200: CaseRef, ...errors(...COMMON_ERRORS) },
        },
        // An action whose body has nothing required (accept, first contact …) may be sent without one.
        preValidation: (request, _reply, done) => {
          // No body at all; a JSON null is a body, and not an object (400).
          if (request.body === undefined) request.body = {};
          done();
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const by = assertRole(principal, action, rule.path);
        const appealId = await resolveAppealId(app, request.params.id);
        request.log = request.log.child({ appealId, action: rule.path });
        // A report's attachments (result, co-handler report): references within the limits, kept normalised.
        const attachments = checkedAttachments(request.body as { attachments?: d.AttachmentRef[] });
        if (attachments) (request.body as { attachments?: d.AttachmentRef[] }).attachments = attachments;
        // A unit sees only its cases: the record (current once an action has answered) says which, 404 outside them.
        // A district government that only reads a stability risk (Art. 11) gets past this; the workflow refuses its action (403).
        const scoped = principal.role === 'unit' || principal.role === 'coordinator';
        // A dispatch carries the plan read here with the decision (see api/dispatchPlan.ts).
        const dispatching = action === 'triageAppeal' && (request.body as d.TriageInput).disposition === 'dispatch';
        const record = scoped || dispatching ? await getAppealRecord(app.db, appealId) : undefined;
        if (scoped) await assertCanSee(app, principal, record);
        const refusal = await referenceRefusal(app.db, action, appealId, request.body, record);
        if (refusal) {
          if (!scoped) await assertAppealExists(app, appealId);
          throw refusal;
        }
        const plan = dispatching ? await planWithDecision(app.db, record, request.log) : undefined;
        const key = request.headers['idempotency-key'];
        if (key)
          await reserveForAction(app.db, {
            principalName: principal.name,
            idempotencyKey: key,
            action,
            appealId,
            body: request.body,
          });
        const handle = app.temporal.workflow.getHandle(d.appealWorkflowId(appealId));
        try {
          // Bounded: with no worker to run it, the Update would wait indefinitely (the caller gets a 503).
          const next = await app.temporal.withDeadline(Date.now() + app.config.WORKFLOW_TIMEOUT_MS, () =>
            handle.executeUpdate(update, {
              // The schema shaped the body as this action's input; `by` comes from the key, a plan from here.
              // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each action pairs its own input with its body
              args: [{ ...(request.body as object), by, ...(plan ? { plan } : {}) } as any],
              // The Update id makes a retried request the same Update: Temporal answers its first outcome.
              ...(key ? { updateId: `${principal.name}:${key}` } : {}),
            }),
          );
          // The work order the answer shows is what the record read above has: no action changes it.
          return presentCase(app, request, liveCase(next), record);
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          throw await workflowGone(app, appealId, rule.path);
        }
      },
    );
  }

  // Telephony's callback answers come as a signal: nothing waits for the workflow to act on them.
  app.post(
    '/appeals/:id/callback-answers',
    {
      schema: {
        tags: ['actions'],
        summary: 'Telephony delivers a callback answer (fire-and-forget)',
        description: `Signal \`${d.recordCallbackSignal.name}\`. ${describeRule('recordCallback')} Fire-and-forget: 202 means the answer was delivered to the open case, not that it was taken. The workflow applies it when the case is in its callback stage and the answer is allowed there; otherwise it is ignored without an error. To learn whether an answer was refused, use the Update route \`POST /v1/appeals/{id}/callback\`, which answers the case or the refusal.`,
        params: IdParams,
        body: ActionBodies.recordCallback,
        response: {
          202: Type.Object({ accepted: Type.Literal(true), appealId: Type.String() }),
          ...errors(...COMMON_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const by = assertRole(principal, 'recordCallback', 'send callback answers');
      const appealId = await resolveAppealId(app, request.params.id);
      request.log = request.log.child({ appealId, action: 'callback-answers' });
      // A closed case takes no answer, even while its workflow is still finishing.
      const record = await getAppealRecord(app.db, appealId);
      if (record?.stage === 'closed') throw new HttpError(409, 'callback-answers is not allowed: the appeal is closed');
      // A body that contradicts itself is refused here: the workflow would drop it without a word.
      const refusal = await referenceRefusal(app.db, 'recordCallback', appealId, request.body, record);
      if (refusal) {
        if (!record) await assertAppealExists(app, appealId);
        throw refusal;
      }
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
