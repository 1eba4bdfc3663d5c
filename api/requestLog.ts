import type { FastifyInstance } from 'fastify';
import { MAX_REQUEST_ID_LENGTH } from './storableInput.js';

/** What Node refuses in a header value (RFC 9110 field-value: tab, visible ASCII, obs-text). */
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * One log line per request, after the response: method, route, status, duration, and the
 * bindings that handlers added on the way (appeal id, caller). The request id comes from the
 * caller's `X-Request-Id` when sent and is echoed back, so both sides can find the line.
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    // An id that is no valid header value, or too long, is not echoed (the request is refused naming the header).
    if (!INVALID_HEADER_VALUE.test(request.id) && request.id.length <= MAX_REQUEST_ID_LENGTH)
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
