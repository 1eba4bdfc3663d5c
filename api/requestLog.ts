import type { FastifyInstance } from 'fastify';

/**
 * One log line per request, after the response: method, route, status, duration, and the
 * bindings that handlers added on the way (appeal id, caller). The request id comes from the
 * caller's `X-Request-Id` when sent and is echoed back, so both sides can find the line.
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const line = {
      method: request.method,
      url: request.routeOptions.url ?? request.url.split('?')[0],
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
    };
    if (reply.statusCode >= 500) request.log.error(line, 'request');
    else if (request.url.startsWith('/health') || request.url === '/metrics') request.log.debug(line, 'request');
    else request.log.info(line, 'request');
  });
}
