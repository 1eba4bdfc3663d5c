import type { FastifyPluginAsync } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ApiConfig } from './config.js';
import configPlugin from './plugins/config.js';
import dbPlugin from './plugins/db.js';
import temporalPlugin from './plugins/temporal.js';
import authPlugin, { DEV_KEYS_NOTE, loadApiKeys } from './plugins/auth.js';
import metricsPlugin from './plugins/metrics.js';
import { registerErrorHandler } from './errors.js';
import { registerStorableInput } from './storableInput.js';
import { registerMethodNotAllowed } from './methodNotAllowed.js';
import { documentedAsOpenApi30, documentedAsSent } from './openapiShape.js';
import { AppealCaseSchema, AppealSummary, ErrorBody } from './schemas.js';
import health from './routes/health.js';
import metrics from './routes/metrics.js';
import supervise from './routes/supervise.js';
import codec from './routes/codec.js';
import { payloadCodecFromConfig } from '../platform/payloadCodec.js';
import v1 from './routes/v1/index.js';
import status from './routes/v1/status.js';
import open311 from './routes/open311/index.js';
import requesterTokensPlugin from './plugins/requesterTokens.js';
import { requesterTokensFromConfig } from './requesterToken.js';

export const API_DESCRIPTION = `Start and drive Beijing 12345 hotline appeals; each appeal is one durable Temporal workflow.

**Authentication.** \`Authorization: Bearer <key>\`. Roles: intake, center (dispatcher/reviewer), unit and coordinator (bound to one unit id), supervisor (read only), admin (acts as the center). The acting party of every action comes from the key, never from the body. Without key configuration the development server accepts ${DEV_KEYS_NOTE}.

**Validation is strict.** Request bodies reject unknown properties (400, \`additionalProperties: false\`; nothing is silently removed). Query strings and bodies are type-coerced by Ajv (\`coerceTypes\`), so \`?overdue=true\` works. A 400 names the field path in \`field\`. A string PostgreSQL cannot store — one containing U+0000 or a lone UTF-16 surrogate — is refused wherever it is sent (body, query string, path, \`Idempotency-Key\`, \`X-Request-Id\`) with a 400 naming the field.

**Errors.** 400 invalid field, 401 no or unknown key, 403 role or party not allowed, 404 unknown appeal (also for a unit outside the case), 409 the case's stage does not allow the action (the workflow's message) or an idempotency key reused with another body, 413 body over 256 KiB, 415 not JSON, 422 a start whose intake PostgreSQL refused to record (code \`RecordRejected\`; the appeal's workflow failed with the reason), 503 Temporal or PostgreSQL unreachable (with \`Retry-After\`).`;

/** The whole API as one Fastify plugin: `server.ts` and the tests register it. */
const app: FastifyPluginAsync<{ config: ApiConfig }> = async (fastify, { config }) => {
  const keys = loadApiKeys(config);
  const payloadCodec = payloadCodecFromConfig(config);
  const requesterTokens = requesterTokensFromConfig(config);
  registerMethodNotAllowed(fastify);
  await fastify.register(swagger, {
    transform: documentedAsSent,
    transformObject: documentedAsOpenApi30,
    // Shared schemas keep their $id as their name in components.schemas.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Jiesu API', version: '1.0.0', description: API_DESCRIPTION },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key' } } },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'appeals', description: 'Start, read and list appeals' },
        { name: 'actions', description: 'One POST per action of the lifecycle, each an Update of the appeal workflow' },
        { name: 'units', description: "A unit's inbox" },
        {
          name: 'assessments',
          description: "A closed case's assessment rows and their exemption review (Art. 25, 31)",
        },
        { name: 'webhooks', description: "Unit systems' webhook endpoints and dead-lettered deliveries (admin)" },
        {
          name: 'requester',
          description: 'The requester reads their own appeal with its token, no API key (Art. 7, 9(3))',
        },
        { name: 'privacy', description: "Who read a requester's contact or an appeal's content (supervisor, admin)" },
        { name: 'health', description: 'Liveness, readiness, metrics (no key needed)' },
      ],
    },
  });
  await fastify.register(swaggerUi, { routePrefix: '/docs' });
  // JSON only: a text/plain body is a 415, not a string that fails validation.
  fastify.removeContentTypeParser('text/plain');
  for (const schema of [ErrorBody, AppealCaseSchema, AppealSummary]) fastify.addSchema(schema);

  await fastify.register(configPlugin, { config });
  await fastify.register(dbPlugin, { databaseUrl: config.DATABASE_URL });
  await fastify.register(temporalPlugin, {
    address: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    ...(payloadCodec ? { payloadCodec } : {}),
  });
  await fastify.register(authPlugin, { keys, nodeEnv: config.NODE_ENV });
  await fastify.register(requesterTokensPlugin, requesterTokens);
  await fastify.register(metricsPlugin);
  registerErrorHandler(fastify, { onUpdateRejected: (type) => fastify.metrics.updatesRejected.inc({ type }) });
  registerStorableInput(fastify);

  await fastify.register(health);
  await fastify.register(metrics);
  // The supervisor page's shell needs no key: its data comes from /v1 with the key it is given.
  await fastify.register(supervise);
  // The Temporal UI's codec server: decrypted payloads for supervisor, center and admin keys.
  await fastify.register(codec, {
    codec: payloadCodec,
    corsOrigins: (config.CODEC_CORS_ORIGINS ?? config.TEMPORAL_UI_URL).split(','),
    openWithoutKey: keys === 'dev' && config.NODE_ENV === 'development',
  });
  await fastify.register(v1, { prefix: '/v1' });
  // Beside /v1's key check, not under it: the requester has a token, not an API key.
  await fastify.register(status, { prefix: '/v1' });
  // GeoReport v2: its own key parameter (api_key), its own error shape.
  await fastify.register(open311, { prefix: '/open311/v2' });
};

export default app;
