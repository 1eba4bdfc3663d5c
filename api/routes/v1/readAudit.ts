/**
 * Who read what (Art. 26, 29(4)): supervisors (and admin) page through the read audit, the trail
 * of every answer that disclosed a requester's contact or an appeal's content (`api/readAudit.ts`).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { listReads } from '../../../db/queries/readAudit.js';
import { READ_FIELDS } from '../../../db/schema/privacy.js';
import { ROLES, type Role } from '../../plugins/auth.js';
import { HttpError } from '../../errors.js';
import { Nullable, StringEnum } from '../../schemaTypes.js';
import { AppealRef, errors, rolesOnly } from './shared.js';
import { appealIdNamed } from './appealIds.js';

/** Who reads the trail: those who supervise the handling of personal data, not those who handle it. */
const READERS: readonly Role[] = ['supervisor', 'admin'];

const ReadAuditQuery = Type.Object(
  {
    appealId: Type.Optional(AppealRef),
    keyName: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The API key's name" })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    before: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Only rows with a smaller id: `nextBefore` of the previous page',
      }),
    ),
  },
  { additionalProperties: false },
);

const ReadAuditEntry = Type.Object(
  {
    id: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    keyName: Type.String(),
    role: StringEnum([...ROLES, 'anonymous'], {
      description:
        "The key's role; `anonymous`: a call to the codec server without a key, which only the development keys let in",
    }),
    unitId: Nullable(Type.String()),
    appealId: Nullable(Type.String(), {
      description:
        'The appeal read; null: what the codec server decoded for the Temporal UI held a contact or text but named no appeal',
    }),
    fields: Type.Array(StringEnum(READ_FIELDS), {
      description:
        "`contact`: the requester's name or phone in clear; `content`: the appeal's text, address or attachments (a masked contact is no read of the contact)",
    }),
    route: Type.String({ description: 'Method and route pattern, e.g. `GET /v1/appeals/:id`' }),
    requestId: Nullable(Type.String(), { description: "The answer's `X-Request-Id`" }),
    workflowId: Nullable(Type.String(), {
      description:
        'The workflow execution the codec server decoded payloads of, when the request said so (the Temporal UI page address it came from: `Referer`, sent in full when the UI and `/codec` share an origin)',
    }),
  },
  { title: 'ReadAuditEntry' },
);

const readAuditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/read-audit',
    {
      schema: {
        tags: ['privacy'],
        summary: "Who read a requester's contact or an appeal's content, newest first (Art. 26, 29(4))",
        description:
          "Roles: supervisor, admin (403 for every other role). One row per answer and appeal that disclosed the requester's name or phone in clear (`contact`) or the appeal's content (`content`: a case with its work order, a list or inbox item with the content's first line, a recurring address of the hot spots, what the codec server decoded for the Temporal UI: a work order is its appeal's, any other payload holding a contact or text the appeal it names or none, `appealId: null`, with the execution in `workflowId` when the request said), written before the answer was sent; an answer whose row could not be written was not sent. The table is append-only: PostgreSQL refuses to change or remove a row. Filters: `appealId` (the appeal id or its work order number), `keyName`, `from` (inclusive) and `to` (exclusive) on the time of the read. Paged by id, newest first: pass `nextBefore` as `before` for the next page (null: no more). 403 before the filters are looked at; 400 naming the field for a bad filter.",
        querystring: ReadAuditQuery,
        response: {
          200: Type.Object({
            items: Type.Array(ReadAuditEntry),
            nextBefore: Nullable(Type.Integer()),
          }),
          ...errors(400, 401, 403, 503),
        },
      },
      preValidation: rolesOnly(READERS, 'does not read the read audit'),
    },
    async (request) => {
      const q = request.query;
      // The schema's `date-time` admits only instants PostgreSQL stores.
      const from = q.from !== undefined ? new Date(q.from) : undefined;
      const to = q.to !== undefined ? new Date(q.to) : undefined;
      if (from && to && from.getTime() > to.getTime())
        throw new HttpError(400, 'querystring/to: must not be before from', 'querystring/to', 'VALIDATION');
      // The rows keep the appeal id; a work order number no appeal has was read by no one.
      const appealId = q.appealId !== undefined ? await appealIdNamed(app, q.appealId) : undefined;
      if (q.appealId !== undefined && appealId === undefined) return { items: [], nextBefore: null };
      const { rows, nextBefore } = await listReads(app.db, {
        ...(appealId ? { appealId } : {}),
        ...(q.keyName ? { keyName: q.keyName } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(q.before !== undefined ? { before: q.before } : {}),
        limit: q.limit,
      });
      return {
        items: rows.map((r) => ({
          id: r.id,
          at: r.at.toISOString(),
          keyName: r.keyName,
          role: r.role as Role | 'anonymous',
          unitId: r.unitId,
          appealId: r.appealId,
          fields: r.fields,
          route: r.route,
          requestId: r.requestId,
          workflowId: r.workflowId,
        })),
        nextBefore,
      };
    },
  );
};

export default readAuditRoutes;
