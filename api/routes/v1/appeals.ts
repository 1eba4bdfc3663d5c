import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { and, desc, eq, gte, lt, or, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as d from '../../../domain/appeal.js';
import type { appealWorkflow } from '../../../workflows/index.js';
import { intakeRecordedUpdate } from '../../../workflows/appeal/definitions.js';
import { appeals } from '../../../db/schema/index.js';
import { getAppealRecord } from '../../../db/queries/cases.js';
import { AppealSummary, StartAppealBody } from '../../schemas.js';
import { HttpError } from '../../errors.js';
import { listScope } from '../../visibility.js';
import { auditReads, contentReads } from '../../readAudit.js';
import { checkWorkOrder } from '../../references.js';
import { checkedAttachments } from '../../attachments.js';
import { isWorkOrderNo } from '../../../domain/workOrderNumbers.js';
import { resolveAppealId } from './appealIds.js';
import { isStorableInstant } from '../../instants.js';
import { requestHash as hashRequest, reserve } from '../../idempotency.js';
import { intakeFailure, intakeFailureCode, liveCase, loadCase, presentCase, type ApiCase } from './cases.js';
import { ErrorType } from '../../../domain/errors.js';
import {
  CaseRef,
  COMMON_ERRORS,
  errors,
  IdempotencyHeaders,
  IdParams,
  principalOf,
  summarize,
  unitFilter,
} from './shared.js';

/** How long a start waits for its intake to be recorded before answering 503. */
const START_WAIT_MS = 5_000;

/**
 * The case of a just-started appeal, once its intake is in the case record (so a list right
 * after the start finds it): a 201 means the intake is recorded. The workflow's first task may
 * take a moment: retry briefly. A workflow that ended without recording it (PostgreSQL refused
 * the work order) is answered at once with the reason; one still trying after the wait is a 503.
 */
async function queryFresh(
  app: FastifyInstance,
  request: FastifyRequest,
  appealId: string,
  deadline = Date.now() + START_WAIT_MS,
): Promise<ApiCase> {
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    const row = await getAppealRecord(app.db, appealId);
    if (row) return loadCase(app, request, appealId, row);
    const failure = await intakeFailure(app, appealId);
    if (failure) {
      const rejected = intakeFailureCode(failure) === ErrorType.RecordRejected;
      throw new HttpError(
        rejected ? 422 : 500,
        `appeal ${appealId} was not started: its intake could not be recorded (${failure.status}): ${failure.reason}`,
        undefined,
        intakeFailureCode(failure),
      );
    }
    if (Date.now() >= deadline)
      throw new HttpError(
        503,
        `appeal ${appealId} is started but its intake is not recorded yet; retry with the same Idempotency-Key or externalId`,
      );
    await new Promise((r) => setTimeout(r, wait));
  }
}

const ListQuery = Type.Object(
  {
    stage: Type.Optional(Type.Union(d.STAGES.map((s) => Type.Literal(s)))),
    unitId: Type.Optional(Type.String({ maxLength: 100, description: 'Lead or co-handling unit' })),
    districtId: Type.Optional(Type.String({ maxLength: 100 })),
    streetId: Type.Optional(Type.String({ maxLength: 100 })),
    appealType: Type.Optional(Type.Union(d.APPEAL_TYPES.map((s) => Type.Literal(s)))),
    categoryCode: Type.Optional(Type.String({ maxLength: 100 })),
    overdue: Type.Optional(Type.Boolean()),
    receivedFrom: Type.Optional(Type.String({ format: 'date-time' })),
    receivedTo: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 500, description: '`nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

const encodeCursor = (row: { receivedAt: Date; id: string }) =>
  Buffer.from(`${row.receivedAt.toISOString()}|${row.id}`).toString('base64url');
const CURSOR_ID = /^[A-Za-z0-9._:-]{1,100}$/;
/** Only what `encodeCursor` writes: an ISO instant and an appeal id; anything else is a 400, never a query. */
function decodeCursor(cursor: string): { receivedAt: Date; id: string } {
  const [at = '', id = '', ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  const receivedAt = new Date(at);
  const valid = isStorableInstant(receivedAt.getTime()) && receivedAt.toISOString() === at && CURSOR_ID.test(id);
  if (!valid || rest.length > 0)
    throw new HttpError(400, 'querystring/cursor: not a cursor of this API', 'querystring/cursor', 'VALIDATION');
  return { receivedAt, id };
}

const appealsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/appeals',
    {
      schema: {
        tags: ['appeals'],
        summary: 'Start an appeal (idempotent)',
        description:
          "Roles: intake, center, admin. Idempotent by `Idempotency-Key` (per API key) and by `externalId`: the same key with the same body answers 200 with `created: false` and the existing case; with a different body, 409. A start whose response was lost is safe to retry with the same key. 201 means the intake is in the case record. If PostgreSQL refuses to record it, the appeal's workflow fails at once and the start answers 422 with code `RecordRejected` and the reason (so does a retry with the same key); if it is not recorded within 5 s, 503.",
        headers: IdempotencyHeaders,
        body: StartAppealBody,
        response: {
          201: Type.Object({ created: Type.Literal(true), case: CaseRef }),
          200: Type.Object({ created: Type.Literal(false), case: CaseRef }),
          ...errors(...COMMON_ERRORS, 422),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (!['intake', 'center', 'admin'].includes(principal.role))
        throw new HttpError(403, `role ${principal.role} may not start appeals`);
      const body = request.body;
      // Validate before reserving: a refused request must not use up its idempotency key.
      const { districtId } = await checkWorkOrder(app.db, body);
      // Paths take an appeal id or a work order number: an id that looks like a number would be ambiguous.
      if (body.externalId && isWorkOrderNo(body.externalId))
        throw new HttpError(
          400,
          'body/externalId: has the form of a work order number (YYYYMMDD-NNNNNN), which the service gives itself',
          'body/externalId',
          'VALIDATION',
        );
      const attachments = checkedAttachments(body);
      const requestHash = hashRequest(body);
      let appealId = body.externalId ?? randomUUID();
      const idempotencyKey = request.headers['idempotency-key'];
      if (idempotencyKey)
        appealId = await reserve(app.db, { key: `key:${principal.name}:${idempotencyKey}`, requestHash, appealId });
      if (body.externalId) await reserve(app.db, { key: `external:${body.externalId}`, requestHash, appealId });
      request.log = request.log.child({ appealId });

      const order: d.WorkOrder = {
        appealId,
        channel: body.channel as d.Channel,
        appealType: body.appealType as d.AppealType,
        categoryCode: body.categoryCode,
        content: body.content,
        // A street-only order lies in the street's district: lists by district find it.
        ...(districtId ? { districtId } : {}),
        ...(body.streetId ? { streetId: body.streetId } : {}),
        ...(body.address ? { address: body.address } : {}),
        requester: body.requester,
        ...(body.stabilityRisk !== undefined ? { stabilityRisk: body.stabilityRisk } : {}),
        receivedAt: body.receivedAt ?? new Date().toISOString(),
        ...(attachments ? { attachments } : {}),
      };
      const start = new WithStartWorkflowOperation<typeof appealWorkflow>('appealWorkflow', {
        taskQueue: app.config.TEMPORAL_TASK_QUEUE,
        workflowId: d.appealWorkflowId(appealId),
        args: [order],
        // An id is used once: a retry (even after the case closed) finds it instead of starting again.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        // The Temporal UI's one line per case: what and where, never who or the content (the number is a search attribute).
        staticSummary: `${body.appealType} · ${body.categoryCode} · ${[districtId, body.streetId].filter(Boolean).join('/') || 'no place'} · ${body.channel}`,
        staticDetails: body.content,
      });
      const waitUntil = Date.now() + START_WAIT_MS;
      let created = true;
      let appealCase: ApiCase | undefined;
      try {
        // One round trip: the start carries an Update that answers once the intake is recorded.
        const fresh = await app.temporal.withDeadline(waitUntil, () =>
          app.temporal.workflow.executeUpdateWithStart(intakeRecordedUpdate, { startWorkflowOperation: start }),
        );
        appealCase = await presentCase(app, request, liveCase(fresh));
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) {
          if (!idempotencyKey && !body.externalId) throw error;
          created = false;
        } else {
          // Not started at all: the error as it is. Started, but the Update did not answer (the intake
          // was refused, no worker in time, or a worker without the Update): the record says.
          await start.workflowHandle().catch(() => {
            throw error;
          });
        }
      }
      if (created) app.metrics.appealsStarted.inc();
      appealCase ??= await queryFresh(app, request, appealId, created ? waitUntil : undefined);
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
        description:
          "By appeal id or work order number (`YYYYMMDD-NNNNNN`; 404 for a number no appeal has). With the work order (`workOrder`). The requester's name and phone are in clear for the center, admin and the lead unit; masked for every other party. A unit outside the case gets 404.",
        params: IdParams,
        response: { 200: CaseRef, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const appealId = await resolveAppealId(app, request.params.id);
      request.log = request.log.child({ appealId });
      return loadCase(app, request, appealId);
    },
  );

  app.get(
    '/appeals',
    {
      schema: {
        tags: ['appeals'],
        summary: 'List case records with filters, newest intake first, cursor paginated',
        description:
          "A unit or coordinator key sees only appeals its unit is involved in. Each item carries the content's first line, never the requester's contact.",
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
      const scope = listScope(principalOf(request));
      const where: (SQL | undefined)[] = [
        q.stage ? eq(appeals.stage, q.stage) : undefined,
        q.unitId ? unitFilter(q.unitId) : undefined,
        scope ? unitFilter(scope.unitId) : undefined,
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
      // Each item shows the content's first line: a read of each appeal's content.
      await auditReads(app, request, contentReads(page.map((r) => r.id)));
      return { items: page.map(summarize), nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
    },
  );
};

export default appealsRoutes;
