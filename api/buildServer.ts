import Fastify, { type FastifyInstance } from 'fastify';
import app from './app.js';
import type { ApiConfig } from './config.js';
import { REDACT_PATHS } from '../worker/logger.js';

/** Builds the Fastify instance with the app registered; used by `server.ts` and by tests. */
export async function buildServer(config: ApiConfig, options: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const server = Fastify({
    logger: options.logger === false ? false : { level: config.LOG_LEVEL, redact: { paths: REDACT_PATHS, censor: '[masked]' } },
    bodyLimit: 256 * 1024,
  });
  await server.register(app, { config });
  return server;
}
