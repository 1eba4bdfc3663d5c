/**
 * GeoReport v2 `POST requests` (an appeal, started exactly as `POST /v1/appeals` starts one),
 * `GET requests` (recent requests for a key holder) and `GET requests/{id}` (one request, for its
 * requester's token or a key that may see it: the same rule as `/v1/status`).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { and, desc, eq, gte, inArray, lt, ne, or, type SQL } from 'drizzle-orm';
import { appeals } from '../../../db/schema/index.js';
import { findAppealByRef } from '../../../db/queries/appealRefs.js';
import { HttpError } from '../../errors.js';
import { listScope } from '../../visibility.js';
import { currentCase, requesterStatus } from '../../requesterStatus.js';
import { assertCanSee } from '../v1/cases.js';
import { unitFilterOf } from '../v1/shared.js';
import { startAppeal } from '../v1/startAppeal.js';
import { checkJurisdiction, optionalKey, requireKey } from './access.js';
import { FORMATS, sendList } from './format.js';
import { PostRequestBody, workOrderOf } from './intake.js';
import { serviceRequestId, serviceRequestOf, serviceRequestsOf } from './serviceRequest.js';

/** The spec's default and widest window of `GET requests`. */
const WINDOW_DAYS = 90;
const LIST_LIMIT = 1000;
const DAY_MS = 86_400_000;

const CommaList = (maxLength: number) => Type.Optional(Type.String({ minLength: 1, maxLength }));
const ListQuery = Type.Object(
  {
    api_key: Type.Optional(Type.String({ maxLength: 200 })),
    jurisdiction_id: Type.Optional(Type.String({ maxLength: 100 })),
    service_request_id: CommaList(5000),
    service_code: CommaList(2000),
    start_date: Type.Optional(Type.String({ format: 'date-time' })),
    end_date: Type.Optional(Type.String({ format: 'date-time' })),
    status: Type.Optional(Type.String({ pattern: '^(open|closed)(,(open|closed))*$' })),
  },
  { additionalProperties: false },
);
const OneQuery = Type.Object(
  {
    api_key: Type.Optional(Type.String({ maxLength: 200 })),
    jurisdiction_id: Type.Optional(Type.String({ maxLength: 100 })),
    requester_token: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
const PostQuery = Type.Object(
  {
    api_key: Type.Optional(Type.String({ maxLength: 200 })),
    jurisdiction_id: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

const split = (list: string | undefined): string[] | undefined =>
  list
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** One request without a token or a key, with a wrong token, or unknown: the same 404. */
const notFound = (id: string) => new HttpError(404, `service_request_id ${id} not found`);

const requests: FastifyPluginAsyncTypebox = async (app) => {
  for (const format of FORMATS) {
    app.post(
      `/requests.${format}`,
      {
        schema: {
          hide: true,
          body: PostRequestBody,
          querystring: PostQuery,
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
        },
      },
      async (request, reply) => {
        requireKey(app, request);
        checkJurisdiction(request.body.jurisdiction_id ?? request.query.jurisdiction_id);
        const order = await workOrderOf(app, request.body);
        const started = await startAppeal(app, request, order, request.headers['idempotency-key']);
        const id = started.case.appealId;
        const serviceRequest = serviceRequestId({ id, workOrderNo: started.case.workOrderNo ?? null });
        reply.code(started.created ? 201 : 200);
        return sendList(reply, format, 'service_requests', 'request', [
          {
            service_request_id: serviceRequest,
            service_notice: `您的诉求已受理，工单编号 ${serviceRequest}。请保存查询码（requester_token），凭它查询办理进度。`,
            account_id: request.body.account_id,
            // Not the spec's `token` (an id not yet known): the requester's own key to its status.
            requester_token: app.requesterTokens.issue(id),
          },
        ]);
      },
    );

    app.get(`/requests.${format}`, { schema: { hide: true, querystring: ListQuery } }, async (request, reply) => {
      const principal = requireKey(app, request);
      const q = request.query;
      checkJurisdiction(q.jurisdiction_id);
      const scope = listScope(principal);
      const ids = split(q.service_request_id);
      const where: (SQL | undefined)[] = [scope ? await unitFilterOf(app.db, scope.unitId) : undefined];
      if (ids?.length) {
        // The spec: a list of ids overrides every other filter.
        if (ids.length > 100) throw new HttpError(400, 'service_request_id: at most 100 ids', 'service_request_id');
        where.push(or(inArray(appeals.id, ids), inArray(appeals.workOrderNo, ids)));
      } else {
        const end = q.end_date ? new Date(q.end_date) : new Date();
        const start = q.start_date ? new Date(q.start_date) : new Date(end.getTime() - WINDOW_DAYS * DAY_MS);
        if (start.getTime() >= end.getTime())
          throw new HttpError(400, 'end_date: must be after start_date', 'end_date');
        if (end.getTime() - start.getTime() > WINDOW_DAYS * DAY_MS)
          throw new HttpError(400, `start_date: the window may span at most ${WINDOW_DAYS} days`, 'start_date');
        where.push(gte(appeals.receivedAt, start), lt(appeals.receivedAt, end));
        const codes = split(q.service_code);
        if (codes?.length) where.push(inArray(appeals.categoryCode, codes));
        const statuses = new Set(split(q.status));
        if (statuses.size === 1)
          where.push(statuses.has('closed') ? eq(appeals.stage, 'closed') : ne(appeals.stage, 'closed'));
      }
      const rows = await app.db
        .select()
        .from(appeals)
        .where(and(...where))
        .orderBy(desc(appeals.receivedAt), desc(appeals.id))
        .limit(LIST_LIMIT);
      return sendList(reply, format, 'service_requests', 'request', await serviceRequestsOf(app, rows));
    });

    app.get(
      `/requests/:id.${format}`,
      {
        schema: {
          hide: true,
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' }) }),
          querystring: OneQuery,
          headers: Type.Object({ 'x-requester-token': Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }),
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        checkJurisdiction(request.query.jurisdiction_id);
        const principal = optionalKey(app, request);
        const token = request.headers['x-requester-token'] ?? request.query.requester_token;
        const row = await findAppealByRef(app.db, id);
        if (principal) {
          if (!row) throw notFound(id);
          try {
            await assertCanSee(app, principal, row);
          } catch {
            throw notFound(id);
          }
        } else {
          // As /v1/status: the token is checked whether or not the appeal exists.
          const valid = token !== undefined && app.requesterTokens.verify(row?.id ?? id, token);
          if (!row || !valid) throw notFound(id);
        }
        request.log = request.log.child({ appealId: row.id });
        const status = await requesterStatus(app, await currentCase(app, row), row);
        return sendList(reply, format, 'service_requests', 'request', [await serviceRequestOf(app, row, status)]);
      },
    );
  }
};

export default requests;
