import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  deleteNotificationEndpoint,
  getNotificationEndpoint,
  listNotificationEndpoints,
  upsertNotificationEndpoint,
} from '../../../db/queries/webhooks.js';
import { NOTIFICATION_AUDIENCES, type NotificationEndpoint } from '../../../db/schema/webhooks.js';
import { HttpError } from '../../errors.js';
import { StringEnum } from '../../schemaTypes.js';
import type { Principal } from '../../plugins/auth.js';
import { EndpointBody, GeneratedSecret, refuseCoercion, secretsOf, shownSecret, shownUrl } from './endpointBody.js';
import { errors } from './shared.js';

const AudienceParams = Type.Object({
  audience: StringEnum(NOTIFICATION_AUDIENCES, {
    description:
      "`requester`: the requester's messages, with the work order's phone (e.g. the intake system's SMS gateway); `center`: the hotline center's desk; `government`: the stability-risk push (Art. 11) and the messages of coordinators without a unit endpoint, with the government's id as `unitId`.",
  }),
});

const Endpoint = Type.Object({
  audience: Type.String(),
  url: Type.String(),
  enabled: Type.Boolean(),
  secret: GeneratedSecret,
});

const shown = (row: NotificationEndpoint) => ({ audience: row.audience, url: shownUrl(row.url), enabled: row.enabled });

function mayRead(principal: Principal): void {
  if (principal.role !== 'admin' && principal.role !== 'supervisor' && principal.role !== 'center')
    throw new HttpError(403, `role ${principal.role} may not read notification endpoints`);
}

function mayConfigure(principal: Principal): void {
  if (principal.role !== 'admin')
    throw new HttpError(403, `role ${principal.role} may not configure notification endpoints`);
}

/**
 * The endpoints of the recipients that are not units: one per audience, signed and retried like
 * the units' webhooks. Without one, an audience's messages are only logged.
 */
const notificationEndpoints: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/notification-endpoints',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'The configured endpoints of the requester, the center and the governments',
        description: 'Roles: admin, supervisor, center. Secrets are never returned.',
        response: { 200: Type.Object({ items: Type.Array(Endpoint) }), ...errors(401, 403, 503) },
      },
    },
    async (request) => {
      mayRead(request.principal!);
      return { items: (await listNotificationEndpoints(app.db)).map(shown) };
    },
  );

  app.get(
    '/notification-endpoints/:audience',
    {
      schema: {
        tags: ['webhooks'],
        summary: "One audience's endpoint",
        description: 'Roles: admin, supervisor, center. The secret is never returned.',
        params: AudienceParams,
        response: { 200: Endpoint, ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      mayRead(request.principal!);
      const { audience } = request.params;
      const row = await getNotificationEndpoint(app.db, { audience });
      if (!row) throw new HttpError(404, `no endpoint is configured for ${audience}`);
      return shown(row);
    },
  );

  app.put(
    '/notification-endpoints/:audience',
    {
      preValidation: refuseCoercion,
      schema: {
        tags: ['webhooks'],
        summary: "Configure an audience's endpoint",
        description:
          'Role: admin. Creates or replaces the endpoint that receives the notifications of this audience, signed to the Standard Webhooks specification. Without `secret`, a new endpoint gets a generated one, returned once; an existing one keeps its own.',
        params: AudienceParams,
        body: EndpointBody,
        response: { 200: Endpoint, ...errors(400, 401, 403, 413, 415, 503) },
      },
    },
    async (request) => {
      mayConfigure(request.principal!);
      const { audience } = request.params;
      const { url, enabled = true } = request.body;
      const secrets = secretsOf(request.body);
      const saved = await upsertNotificationEndpoint(app.db, { audience, url, enabled, ...secrets });
      request.log.info({ audience, enabled: saved.enabled }, 'notification endpoint configured');
      return { ...shown(saved), ...shownSecret(saved, secrets) };
    },
  );

  app.delete(
    '/notification-endpoints/:audience',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Remove an audience's endpoint",
        description: "Role: admin. Answers the removed endpoint; from then on the audience's messages are only logged.",
        params: AudienceParams,
        response: { 200: Endpoint, ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      mayConfigure(request.principal!);
      const { audience } = request.params;
      const removed = await deleteNotificationEndpoint(app.db, { audience });
      if (!removed) throw new HttpError(404, `no endpoint is configured for ${audience}`);
      request.log.info({ audience }, 'notification endpoint removed');
      return shown(removed);
    },
  );
};

export default notificationEndpoints;
