/**
 * GeoReport v2 `GET services` and `GET services/{service_code}`: the category catalogue's leaves
 * with their Chinese names, grouped by their parent category. No service has extra attributes
 * (`metadata: false`), and every request is handled by a person in real time (`type: realtime`).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { listServices } from '../../../db/queries/open311.js';
import { HttpError } from '../../errors.js';
import { checkJurisdiction } from './access.js';
import { FORMATS, sendList, sendObject } from './format.js';

const Query = Type.Object(
  { jurisdiction_id: Type.Optional(Type.String({ maxLength: 100 })) },
  { additionalProperties: false },
);

const services: FastifyPluginAsyncTypebox = async (app) => {
  for (const format of FORMATS) {
    app.get(`/services.${format}`, { schema: { hide: true, querystring: Query } }, async (request, reply) => {
      checkJurisdiction(request.query.jurisdiction_id);
      const rows = await listServices(app.db);
      return sendList(
        reply,
        format,
        'services',
        'service',
        rows.map((s) => ({
          service_code: s.code,
          service_name: s.name,
          description: s.group ? `${s.group} · ${s.name}` : s.name,
          metadata: false,
          type: 'realtime',
          keywords: s.code.split('.').join(','),
          group: s.group,
        })),
      );
    });

    app.get(
      `/services/:service_code.${format}`,
      {
        schema: {
          hide: true,
          params: Type.Object({ service_code: Type.String({ minLength: 1, maxLength: 100 }) }),
          querystring: Query,
        },
      },
      async (request, reply) => {
        checkJurisdiction(request.query.jurisdiction_id);
        const [service] = await listServices(app.db, request.params.service_code);
        if (!service) throw new HttpError(404, `service_code ${request.params.service_code} not found`);
        // No attributes: the definition is the code and an empty list.
        return sendObject(reply, format, 'service_definition', {
          service_code: service.code,
          attributes: format === 'json' ? [] : '',
        });
      },
    );
  }
};

export default services;
