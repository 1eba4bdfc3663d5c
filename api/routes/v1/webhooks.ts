import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { listDeadLetters, upsertEndpoint } from '../../../db/queries/webhooks.js';
import { HttpError } from '../../errors.js';
import { Id } from '../../schemas.js';
import { Nullable, StringEnum } from '../../schemaTypes.js';
import { DELIVERY_AUDIENCES } from '../../../db/schema/webhooks.js';
import { EndpointBody, GeneratedSecret, refuseCoercion, secretsOf, shownSecret } from './endpointBody.js';
import { errors } from './shared.js';

const Endpoint = Type.Object({
  unitId: Type.String(),
  url: Type.String(),
  enabled: Type.Boolean(),
  secret: GeneratedSecret,
});

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
      const principal = request.principal!;
      if (principal.role !== 'admin') throw new HttpError(403, `role ${principal.role} may not configure webhooks`);
      const { unitId } = request.params;
      const { url, enabled = true } = request.body;
      const secrets = secretsOf(request.body);
      const saved = await upsertEndpoint(app.db, { unitId, url, enabled, ...secrets });
      if (!saved) throw new HttpError(404, `unit ${unitId} not found`);
      request.log.info({ unitId, enabled: saved.enabled }, 'webhook endpoint configured');
      return { unitId: saved.unitId, url: saved.url, enabled: saved.enabled, ...shownSecret(saved, secrets) };
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
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(DeadLetter) }), ...errors(400, 401, 403, 503) },
      },
    },
    async (request) => {
      const principal = request.principal!;
      if (principal.role !== 'admin' && principal.role !== 'supervisor')
        throw new HttpError(403, `role ${principal.role} may not read dead letters`);
      const { unitId, audience, limit } = request.query;
      const rows = await listDeadLetters(app.db, { unitId, audience, limit });
      return {
        items: rows.map((r) => ({
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
