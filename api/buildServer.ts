import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DestinationStream } from 'pino';
import app from './app.js';
import type { ApiConfig } from './config.js';
import { prettyTransport, REDACT_PATHS } from '../platform/logger.js';
import { registerRequestLog } from './requestLog.js';

export interface ServerOptions {
  /** `false`: no logging at all. */
  logger?: boolean;
  /** Where log lines go (stdout by default); tests read them. */
  logStream?: DestinationStream;
}

/** Builds the Fastify instance with the app registered; used by `server.ts` and by tests. */
export async function buildServer(config: ApiConfig, options: ServerOptions = {}): Promise<FastifyInstance> {
  const server = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: config.LOG_LEVEL,
            redact: { paths: [...REDACT_PATHS, 'req.body.requester', 'body.requester'], censor: '[masked]' },
            ...(options.logStream
              ? { stream: options.logStream }
              : config.LOG_FORMAT === 'pretty'
                ? { transport: prettyTransport }
                : {}),
          },
    // One line per request, written by requestLog.ts once the appeal id is known.
    disableRequestLogging: true,
    requestIdHeader: 'x-request-id',
    requestIdLogLabel: 'requestId',
    bodyLimit: 256 * 1024,
    // Strict bodies: unknown properties are a 400 (schemas say additionalProperties: false), never silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  registerRequestLog(server);
  await server.register(app, { config });
  return server;
}
