import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DestinationStream } from 'pino';
import app from './app.js';
import type { ApiConfig } from './config.js';
import { prettyTransport, REDACT_PATHS } from '../platform/logger.js';
import { registerRequestLog } from './requestLog.js';
import { MAX_PARAM_LENGTH } from './methodNotAllowed.js';
import { isStorableInstant } from './instants.js';

export interface ServerOptions {
  /** `false`: no logging at all. */
  logger?: boolean;
  /** Where log lines go (stdout by default); tests read them. */
  logStream?: DestinationStream;
}

interface DateTimeFormat {
  validate: (value: string) => boolean;
  compare?: (a: string, b: string) => number | undefined;
}
/** Request validation as every route of the API has it (the tests that build a server of routes use it too). */
export const ajvOptions = {
  // Strict bodies: unknown properties are a 400 (schemas say additionalProperties: false), never silently dropped.
  // `discriminator`: a union told apart by one property refuses in the branch the body chose (schemaTypes.ts).
  customOptions: {
    removeAdditional: false,
    coerceTypes: 'array' as const,
    useDefaults: true,
    allErrors: false,
    discriminator: true,
  },
  /**
   * `date-time` (RFC 3339, by ajv-formats) narrowed to instants the API can store: no leap
   * second (`23:59:60`, an invalid `Date`), no year 0000 or an offset that leaves years 1-9999.
   */
  onCreate: (instance: { formats: Record<string, unknown>; addFormat(name: string, format: object): unknown }) => {
    const rfc3339 = instance.formats['date-time'] as DateTimeFormat;
    instance.addFormat('date-time', {
      type: 'string',
      validate: (value: string) => {
        return rfc3339.validate(value) && isStorableInstant(Date.parse(value));
      },
      ...(rfc3339.compare ? { compare: rfc3339.compare } : {}),
    });
  },
};

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
    // Unique across processes and restarts: the read audit keeps it (a counter would repeat).
    genReqId: () => randomUUID(),
    requestIdLogLabel: 'requestId',
    bodyLimit: 256 * 1024,
    // A path parameter longer than the router's default (100) would miss its route; the schema refuses it with a 400.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    ajv: ajvOptions,
  }).withTypeProvider<TypeBoxTypeProvider>();
  registerRequestLog(server);
  await server.register(app, { config });
  return server;
}
