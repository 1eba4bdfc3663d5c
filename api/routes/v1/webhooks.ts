import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { deleteEndpoint, listDeadLetters, listEndpoints, upsertEndpoint } from '../../../db/queries/webhooks.js';
import type { UnitWebhook } from '../../../db/schema/webhooks.js';
import type { Principal } from '../../plugins/auth.js';
import { findHandlingUnit } from '../../../db/queries/directory.js';
import { HOTLINE_CENTER_UNIT_ID } from '../../../db/queries/reference.js';
import { HttpError } from '../../errors.js';
import { decodeInstantCursor, encodeInstantCursor, notACursor } from '../../cursors.js';
import { Id } from '../../schemas.js';
import { Nullable, PATTERNS, StringEnum } from '../../schemaTypes.js';
import { DELIVERY_AUDIENCES } from '../../../db/schema/webhooks.js';
import { EndpointBody, GeneratedSecret, refuseCoercion, secretsOf, shownSecret, shownUrl } from './endpointBody.js';
import { errors } from './shared.js';

const Endpoint = Type.Object({
  unitId: Type.String(),
  url: Type.String(),
  enabled: Type.Boolean(),
  secret: GeneratedSecret,
});

/** A unit's endpoint as read back: never its secret. */
const ShownEndpoint = Type.Object({
  unitId: Type.String(),
  url: Type.String(),
  enabled: Type.Boolean(),
  updatedAt: Type.String({ format: 'date-time', description: 'When it was last configured' }),
});
const shown = (row: UnitWebhook) => ({
  unitId: row.unitId,
  url: shownUrl(row.url),
  enabled: row.enabled,
  updatedAt: row.updatedAt.toISOString(),
});

/** As for the other audiences' endpoints: admin, supervisors and the center read them, admin changes them. */
function mayRead(principal: Principal): void {
  if (principal.role !== 'admin' && principal.role !== 'supervisor' && principal.role !== 'center')
    throw new HttpError(403, `role ${principal.role} may not read webhook endpoints`);
}
function mayConfigure(principal: Principal): void {
  if (principal.role !== 'admin') throw new HttpError(403, `role ${principal.role} may not configure webhooks`);
}

/** The list's cursor: the last unit id of a page, opaque; anything else is a 400, never a query. */
const encodeCursor = (unitId: string) => Buffer.from(unitId).toString('base64url');
function decodeCursor(cursor: string): string {
  const unitId = Buffer.from(cursor, 'base64url').toString();
  if (!new RegExp(PATTERNS.id.pattern).test(unitId) || unitId.length > 100 || encodeCursor(unitId) !== cursor)
    throw notACursor();
  return unitId;
}

const Audience = StringEnum(DELIVERY_AUDIENCES, {
  description: '`unit`, or the recipient that is not a unit: `requester`, `center`, `government`.',
});

const DeadLetter = Type.Object({
  deliveryId: Type.String(),
  appealId: Type.String(),
  unitId: Type.String({
    description: 'The unit; a government for `government`; `requester`, `center` for those audiences.',
  }),
  audience: Audience,
  kind: Type.String(),
  attempts: Type.Integer(),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  deadLetteredAt: Nullable(Type.String()),
  payload: Type.Object(
    {
      deliveryId: Type.String(),
      appealId: Type.String(),
      audience: Type.Optional(Audience),
      unitId: Type.Optional(Type.String()),
      kind: Type.String(),
      message: Type.String(),
      at: Type.String(),
    },
    {
      description:
        "The body as it was sent (without signature headers), less the requester's phone: that is never kept.",
    },
  ),
});

/** Unit systems' webhook endpoints and the deliveries given up on (to every audience). */
const webhooks: FastifyPluginAsyncTypebox = async (app) => {
  app.put(
    '/units/:unitId/webhook',
    {
      preValidation: refuseCoercion,
      schema: {
        tags: ['webhooks'],
        summary: "Configure a unit system's webhook endpoint",
        description:
          'Role: admin. Creates or replaces the endpoint that receives the notifications of this unit (and of it as coordinator), signed to the Standard Webhooks specification with `secret`. Without `secret`, a new endpoint gets a generated one, returned once; an existing one keeps its own.',
        params: Type.Object({ unitId: Id }),
        body: EndpointBody,
        response: { 200: Endpoint, ...errors(400, 401, 403, 404, 413, 415, 503) },
      },
    },
    async (request) => {
      mayConfigure(request.principal!);
      const { unitId } = request.params;
      // The center is told at its own endpoint: a unit endpoint of its would never be called.
      if (unitId === HOTLINE_CENTER_UNIT_ID)
        throw new HttpError(
          400,
          `params/unitId: ${unitId} is the hotline center, told at the center's endpoint (PUT /v1/notification-endpoints/center)`,
          'params/unitId',
        );
      const { url, enabled = true } = request.body;
      const secrets = secretsOf(request.body);
      const saved = await upsertEndpoint(app.db, { unitId, url, enabled, ...secrets });
      if (!saved) throw new HttpError(404, `unit ${unitId} not found`);
      request.log.info({ unitId, enabled: saved.enabled }, 'webhook endpoint configured');
      return { unitId: saved.unitId, url: saved.url, enabled: saved.enabled, ...shownSecret(saved, secrets) };
    },
  );

  app.get(
    '/admin/unit-webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: "The units' configured webhook endpoints, by unit id",
        description:
          'Roles: admin, supervisor, center (as the endpoints of the other audiences, `GET /v1/notification-endpoints`). Secrets are never returned. By unit id, `limit` at a time: pass `nextCursor` as `cursor` for the next page (null: no more). 400 naming the field for a bad `limit` or `cursor`.',
        querystring: Type.Object(
          {
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
            cursor: Type.Optional(Type.String({ maxLength: 200, description: '`nextCursor` of the previous page' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(ShownEndpoint), nextCursor: Nullable(Type.String()) }),
          ...errors(400, 401, 403, 503),
        },
      },
    },
    async (request) => {
      mayRead(request.principal!);
      const { limit, cursor } = request.query;
      const after = cursor !== undefined ? decodeCursor(cursor) : undefined;
      const { rows, next } = await listEndpoints(app.db, { ...(after !== undefined ? { after } : {}), limit });
      return { items: rows.map(shown), nextCursor: next === null ? null : encodeCursor(next) };
    },
  );

  app.delete(
    '/admin/unit-webhooks/:unitId',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Remove a unit system's webhook endpoint",
        description:
          "Role: admin. Answers the removed endpoint (without its secret); from then on the unit's notifications are only logged, and a coordinator's go to the `government` endpoint. 404 naming the unit when it has none.",
        params: Type.Object({ unitId: Id }),
        response: { 200: ShownEndpoint, ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      mayConfigure(request.principal!);
      const { unitId } = request.params;
      const removed = await deleteEndpoint(app.db, { unitId });
      if (!removed) throw new HttpError(404, `no webhook endpoint is configured for unit ${unitId}`);
      request.log.info({ unitId }, 'webhook endpoint removed');
      return shown(removed);
    },
  );

  app.get(
    '/webhooks/dead-letters',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Webhook deliveries given up on, newest first',
        description:
          'Roles: admin, supervisor. A delivery is dead-lettered after its last attempt, or at once when the endpoint refuses it (4xx other than 408/429).',
        querystring: Type.Object(
          {
            unitId: Type.Optional(Id),
            audience: Type.Optional(Audience),
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
            cursor: Type.Optional(Type.String({ maxLength: 500, description: '`nextCursor` of the previous page' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(DeadLetter),
            nextCursor: Nullable(Type.String(), {
              description: 'The next page (older deliveries), or null after the last',
            }),
          }),
          ...errors(400, 401, 403, 404, 503),
        },
      },
    },
    async (request) => {
      const principal = request.principal!;
      if (principal.role !== 'admin' && principal.role !== 'supervisor')
        throw new HttpError(403, `role ${principal.role} may not read dead letters`);
      const { unitId, audience, limit, cursor } = request.query;
      // As the unit's other routes: a unit the directory does not know is a 404, not an empty list.
      if (unitId && !(await findHandlingUnit(app.db, unitId))) throw new HttpError(404, `unit ${unitId} not found`);
      const from = cursor ? decodeInstantCursor(cursor) : undefined;
      const after = from && { deadLetteredAt: from.at, deliveryId: from.id };
      const rows = await listDeadLetters(app.db, { unitId, audience, limit: limit + 1, ...(after ? { after } : {}) });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        nextCursor:
          rows.length > limit && last?.deadLetteredAt
            ? encodeInstantCursor(last.deadLetteredAt, last.deliveryId)
            : null,
        items: page.map((r) => ({
          deliveryId: r.deliveryId,
          appealId: r.appealId,
          unitId: r.unitId,
          audience: r.audience,
          kind: r.kind,
          attempts: r.attempts,
          lastStatusCode: r.lastStatusCode,
          lastError: r.lastError,
          deadLetteredAt: r.deadLetteredAt?.toISOString() ?? null,
          payload: r.payload,
        })),
      };
    },
  );
};

export default webhooks;
