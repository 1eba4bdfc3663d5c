import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import app from './app.js';
import type { ApiConfig } from './config.js';
import { REDACT_PATHS } from '../worker/logger.js';

/** Builds the Fastify instance with the app registered; used by `server.ts` and by tests. */
export async function buildServer(config: ApiConfig, options: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const server = Fastify({
    logger:
      options.logger === false
        ? false
        : { level: config.LOG_LEVEL, redact: { paths: [...REDACT_PATHS, 'req.body.requester', 'body.requester'], censor: '[masked]' } },
    bodyLimit: 256 * 1024,
    // Strict bodies: unknown properties are a 400 (schemas say additionalProperties: false), never silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  await server.register(app, { config });
  return server;
}
