/**
 * Open311 GeoReport v2 under `/open311/v2`: a second front door over the same appeals, for the
 * many 311 apps that speak the standard. Bodies come form-encoded (the spec's) or as JSON;
 * answers and errors are in the spec's shapes, JSON or XML by the path's extension. The routes
 * are left out of the OpenAPI document: GeoReport v2 is their contract.
 */
import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../../errors.js';
import { formatOf, renderErrors } from './format.js';
import services from './services.js';
import requests from './requests.js';

/** A refusal's message without the API's `body/` or `querystring/` prefix: the spec names fields plainly. */
const plain = (message: string): string => message.replace(/^(body|querystring|params|headers)\//, '');

const open311: FastifyPluginAsync = async (app) => {
  // The spec's POST body: `application/x-www-form-urlencoded`. An empty field is a field not sent.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const fields: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(body as string)) if (value !== '') fields[key] = value;
    done(null, fields);
  });

  // Every error the API's one handler answers (validation, 403, 404, 503 …) in the spec's shape.
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
    let description = payload;
    try {
      const body = JSON.parse(payload) as { message?: unknown };
      if (typeof body.message === 'string') description = plain(body.message);
    } catch {
      // Not the API's JSON error body: passed on as the description.
    }
    const rendered = renderErrors(formatOf(request), [{ code: reply.statusCode, description }]);
    reply.type(rendered.type);
    return rendered.body;
  });

  app.setNotFoundHandler(async (request) => {
    throw new HttpError(404, `${request.method} ${request.url.split('?')[0]} is not a GeoReport v2 resource here`);
  });

  await app.register(services);
  await app.register(requests);
};

export default open311;
