import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { and, arrayContains, desc, eq, gte, lt, or, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as d from '../../../workflows/appeal/definitions.js';
import type { appealWorkflow } from '../../../workflows/index.js';
import { appeals, categories, idempotencyKeys, streets, districts } from '../../../db/schema/index.js';
import { getAppealRecord } from '../../../db/queries/cases.js';
import { ActionBodies, AppealCaseSchema, AppealSummary, ErrorBody, StartAppealBody } from '../../schemas.js';
import { HttpError } from '../../errors.js';
import { partyOf, type Principal, type Role } from '../../plugins/auth.js';
import { assertCanSee, loadCase, notFound, type ApiCase } from './cases.js';

const E = Type.Ref(ErrorBody);
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, E]));
const COMMON_ERRORS = [400, 401, 403, 404, 409, 413, 415, 503];
const CaseRef = Type.Ref(AppealCaseSchema);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' }) });

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

const principalOf = (request: FastifyRequest): Principal => request.principal!;

/** Canonical JSON (sorted keys) so the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** Reserves `key` for this request (or finds it): same body → its appeal id; other body → 409. */
async function reserve(app: FastifyInstance, key: string, requestHash: string, appealId: string): Promise<string> {
  const [inserted] = await app.db
    .insert(idempotencyKeys)
    .values({ key, requestHash, appealId })
    .onConflictDoNothing()
    .returning();
  if (inserted) return appealId;
  const [existing] = await app.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
  if (!existing) throw new HttpError(409, 'idempotency key is being reserved concurrently; retry');
  if (existing.requestHash !== requestHash)
    throw new HttpError(
      409,
      `${key.startsWith('external:') ? 'externalId' : 'Idempotency-Key'} was already used with a different request body`,
    );
  return existing.appealId;
}

/**
 * The case of a just-started appeal, once its intake is in the case record (so a list right
 * after the start finds it). The workflow's first task may take a moment: retry briefly.
 */
async function queryFresh(app: FastifyInstance, appealId: string): Promise<ApiCase> {
  for (let attempt = 0; ; attempt++) {
    try {
      if (attempt < 50 && !(await getAppealRecord(app.db, appealId))) throw new Error('intake not recorded yet');
      return await loadCase(app, appealId);
    } catch (error) {
      if (attempt >= 50 || error instanceof HttpError) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function checkReference(app: FastifyInstance, body: Static<typeof StartAppealBody>): Promise<void> {
  const [category] = await app.db
    .select({ code: categories.code })
    .from(categories)
    .where(eq(categories.code, body.categoryCode));
  if (!category)
    throw new HttpError(400, `body/categoryCode: unknown category ${body.categoryCode}`, 'body/categoryCode');
  if (body.districtId) {
    const [district] = await app.db
      .select({ id: districts.id })
      .from(districts)
      .where(eq(districts.id, body.districtId));
    if (!district) throw new HttpError(400, `body/districtId: unknown district ${body.districtId}`, 'body/districtId');
  }
  if (body.streetId) {
    const [street] = await app.db.select({ id: streets.id }).from(streets).where(eq(streets.id, body.streetId));
    if (!street) throw new HttpError(400, `body/streetId: unknown street ${body.streetId}`, 'body/streetId');
  }
}

const ListQuery = Type.Object(
  {
    stage: Type.Optional(Type.Union(d.STAGES.map((s) => Type.Literal(s)))),
    unitId: Type.Optional(Type.String({ description: 'Lead or co-handling unit' })),
    districtId: Type.Optional(Type.String()),
    streetId: Type.Optional(Type.String()),
    appealType: Type.Optional(Type.Union(d.APPEAL_TYPES.map((s) => Type.Literal(s)))),
    categoryCode: Type.Optional(Type.String()),
    overdue: Type.Optional(Type.Boolean()),
    receivedFrom: Type.Optional(Type.String({ format: 'date-time' })),
    receivedTo: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ description: '`nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

const encodeCursor = (row: { receivedAt: Date; id: string }) =>
  Buffer.from(`${row.receivedAt.toISOString()}|${row.id}`).toString('base64url');
function decodeCursor(cursor: string): { receivedAt: Date; id: string } {
  const [at, ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  const receivedAt = new Date(at ?? '');
  if (Number.isNaN(receivedAt.getTime()) || rest.length === 0)
    throw new HttpError(400, 'querystring/cursor: not a cursor of this API', 'querystring/cursor');
  return { receivedAt, id: rest.join('|') };
}

export const summarize = (r: typeof appeals.$inferSelect): Static<typeof AppealSummary> => ({
  appealId: r.id,
  stage: r.stage as d.Stage,
  appealType: r.appealType,
  categoryCode: r.categoryCode,
  districtId: r.districtId,
  streetId: r.streetId,
  leadUnitId: r.leadUnitId,
  coHandlerIds: r.coHandlerIds,
  dueAt: r.dueAt?.toISOString() ?? null,
  overdue: r.overdue,
  escalationLevel: r.escalationLevel,
  receivedAt: r.receivedAt.toISOString(),
  closedAt: r.closedAt?.toISOString() ?? null,
});

const unitFilter = (unitId: string): SQL =>
  or(eq(appeals.leadUnitId, unitId), arrayContains(appeals.coHandlerIds, [unitId]))!;

const appealsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/appeals',
    {
      schema: {
        tags: ['appeals'],
        summary: 'Start an appeal (idempotent)',
        description:
          'Roles: intake, center, admin. Idempotent by `Idempotency-Key` (per API key) and by `externalId`: the same key with the same body answers 200 with `created: false` and the existing case; with a different body, 409. A start whose response was lost is safe to retry with the same key.',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
        body: StartAppealBody,
        response: {
          201: Type.Object({ created: Type.Literal(true), case: CaseRef }),
          200: Type.Object({ created: Type.Literal(false), case: CaseRef }),
          ...errors(...COMMON_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (!['intake', 'center', 'admin'].includes(principal.role))
        throw new HttpError(403, `role ${principal.role} may not start appeals`);
      const body = request.body;
      // Validate before reserving: a refused request must not use up its idempotency key.
      await checkReference(app, body);
      const requestHash = createHash('sha256').update(canonical(body)).digest('hex');
      let appealId = body.externalId ?? randomUUID();
      const idempotencyKey = request.headers['idempotency-key'];
      if (idempotencyKey)
        appealId = await reserve(app, `key:${principal.name}:${idempotencyKey}`, requestHash, appealId);
      if (body.externalId) await reserve(app, `external:${body.externalId}`, requestHash, appealId);
      request.log = request.log.child({ appealId });

      const order: d.WorkOrder = {
        appealId,
        channel: body.channel as d.Channel,
        appealType: body.appealType as d.AppealType,
        categoryCode: body.categoryCode,
        content: body.content,
        ...(body.districtId ? { districtId: body.districtId } : {}),
        ...(body.streetId ? { streetId: body.streetId } : {}),
        ...(body.address ? { address: body.address } : {}),
        requester: body.requester,
        ...(body.stabilityRisk !== undefined ? { stabilityRisk: body.stabilityRisk } : {}),
        receivedAt: body.receivedAt ?? new Date().toISOString(),
      };
      let created = true;
      try {
        await app.temporal.workflow.start<typeof appealWorkflow>('appealWorkflow', {
          taskQueue: app.config.TEMPORAL_TASK_QUEUE,
          workflowId: d.appealWorkflowId(appealId),
          args: [order],
          // An id is used once: a retry (even after the case closed) finds it instead of starting again.
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          workflowIdConflictPolicy: 'FAIL',
          staticSummary: `${body.appealType} · ${body.categoryCode} · ${[body.districtId, body.streetId].filter(Boolean).join('/') || 'no place'}`,
          staticDetails: body.content,
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        if (!idempotencyKey && !body.externalId) throw error;
        created = false;
      }
      if (created) app.metrics.appealsStarted.inc();
      const appealCase = await queryFresh(app, appealId);
      request.log.info({ created }, 'appeal started');
      if (created) return reply.code(201).send({ created: true as const, case: appealCase });
      return reply.code(200).send({ created: false as const, case: appealCase });
    },
  );

  app.get(
    '/appeals/:id',
    {
      schema: {
        tags: ['appeals'],
        summary: 'One case: live while open, the stored record once closed (same shape)',
        params: IdParams,
        response: { 200: CaseRef, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => {
      request.log = request.log.child({ appealId: request.params.id });
      const appealCase = await loadCase(app, request.params.id);
      assertCanSee(principalOf(request), appealCase);
      return appealCase;
    },
  );

  app.get(
    '/appeals',
    {
      schema: {
        tags: ['appeals'],
        summary: 'List case records with filters, newest intake first, cursor paginated',
        description: 'A unit or coordinator key sees only appeals where its unit leads or co-handles.',
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(Type.Ref(AppealSummary)),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors(400, 401, 503),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const principal = principalOf(request);
      const where: (SQL | undefined)[] = [
        q.stage ? eq(appeals.stage, q.stage) : undefined,
        q.unitId ? unitFilter(q.unitId) : undefined,
        principal.role === 'unit' || principal.role === 'coordinator' ? unitFilter(principal.unitId!) : undefined,
        q.districtId ? eq(appeals.districtId, q.districtId) : undefined,
        q.streetId ? eq(appeals.streetId, q.streetId) : undefined,
        q.appealType ? eq(appeals.appealType, q.appealType) : undefined,
        q.categoryCode ? eq(appeals.categoryCode, q.categoryCode) : undefined,
        q.overdue !== undefined ? eq(appeals.overdue, q.overdue) : undefined,
        q.receivedFrom ? gte(appeals.receivedAt, new Date(q.receivedFrom)) : undefined,
        q.receivedTo ? lt(appeals.receivedAt, new Date(q.receivedTo)) : undefined,
      ];
      if (q.cursor) {
        const c = decodeCursor(q.cursor);
        where.push(
          or(lt(appeals.receivedAt, c.receivedAt), and(eq(appeals.receivedAt, c.receivedAt), lt(appeals.id, c.id))),
        );
      }
      const rows = await app.db
        .select()
        .from(appeals)
        .where(and(...where))
        .orderBy(desc(appeals.receivedAt), desc(appeals.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      return { items: page.map(summarize), nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
    },
  );

  for (const action of ACTIONS) {
    app.post(
      `/appeals/:id/${action.path}`,
      {
        schema: {
          tags: ['actions'],
          summary: action.summary,
          description: `Update \`${action.update.name}\`. Roles: ${action.roles.join(', ')}. Answers the case after the workflow has acted on it.`,
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
        // A unit sees only its cases: decide on the current case first, answering 404 outside it.
        if (principal.role === 'unit' || principal.role === 'coordinator')
          assertCanSee(principal, await loadCase(app, appealId));
        const handle = app.temporal.workflow.getHandle(d.appealWorkflowId(appealId));
        try {
          const next = await handle.executeUpdate(action.update, { args: [{ ...(request.body as object), by }] });
          return { ...next, source: 'workflow' as const };
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          if (await getAppealRecord(app.db, appealId))
            throw new HttpError(409, `${action.path} is not allowed: the appeal is closed`);
          throw notFound();
        }
      },
    );
  }
};

export { unitFilter };
export default appealsRoutes;
