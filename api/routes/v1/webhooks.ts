import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import { listDeadLetters, upsertEndpoint } from '../../../db/queries/webhooks.js';
import { HttpError } from '../../errors.js';
import { Id } from '../../schemas.js';
import { errors } from './shared.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const EndpointBody = Type.Object(
  {
    url: Type.String({
      format: 'uri',
      pattern: '^https?://',
      maxLength: 2000,
      description: 'Where notifications are POSTed (http or https).',
    }),
    secret: Type.String({
      minLength: 16,
      maxLength: 256,
      description: 'HMAC-SHA256 key of `x-jiesu-signature`. Write-only: never returned.',
    }),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

const Endpoint = Type.Object({ unitId: Type.String(), url: Type.String(), enabled: Type.Boolean() });

const DeadLetter = Type.Object({
  deliveryId: Type.String(),
  appealId: Type.String(),
  unitId: Type.String(),
  kind: Type.String(),
  attempts: Type.Integer(),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  deadLetteredAt: Nullable(Type.String()),
  payload: Type.Object(
    {
      deliveryId: Type.String(),
      appealId: Type.String(),
      unitId: Type.String(),
      kind: Type.String(),
      message: Type.String(),
      at: Type.String(),
    },
    { description: 'The body as it was sent (without signature headers).' },
  ),
});

/** Unit systems' webhook endpoints and the deliveries given up on. */
const webhooks: FastifyPluginAsyncTypebox = async (app) => {
  app.put(
    '/units/:unitId/webhook',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Configure a unit system's webhook endpoint",
        description:
          'Role: admin. Creates or replaces the endpoint that receives the notifications of this unit (and of it as coordinator), signed with `secret`. The secret is never returned.',
        params: Type.Object({ unitId: Id }),
        body: EndpointBody,
        response: { 200: Endpoint, ...errors(400, 401, 403, 404, 413, 415, 503) },
      },
    },
    async (request) => {
      const principal = request.principal!;
      if (principal.role !== 'admin') throw new HttpError(403, `role ${principal.role} may not configure webhooks`);
      const { unitId } = request.params;
      const { url, secret, enabled = true } = request.body;
      const saved = await upsertEndpoint(app.db, { unitId, url, secret, enabled });
      if (!saved) throw new HttpError(404, `unit ${unitId} not found`);
      request.log.info({ unitId, enabled: saved.enabled }, 'webhook endpoint configured');
      return { unitId: saved.unitId, url: saved.url, enabled: saved.enabled };
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
          { unitId: Type.Optional(Id), limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(DeadLetter) }), ...errors(400, 401, 403, 503) },
      },
    },
    async (request) => {
      const principal = request.principal!;
      if (principal.role !== 'admin' && principal.role !== 'supervisor')
        throw new HttpError(403, `role ${principal.role} may not read dead letters`);
      const rows = await listDeadLetters(app.db, { unitId: request.query.unitId, limit: request.query.limit });
      return {
        items: rows.map((r) => ({
          deliveryId: r.deliveryId,
          appealId: r.appealId,
          unitId: r.unitId,
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
