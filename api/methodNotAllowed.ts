/**
 * A method the API does not serve on a path it does serve answers 405 with an `Allow` header
 * (HTTP semantics, and what an OpenAPI client expects), not Fastify's 404. The router only knows
 * exact routes, so the patterns are collected as routes are added and matched here.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

/** The longest path parameter the router matches (Fastify's default is 100); schemas refuse most well below it. */
export const MAX_PARAM_LENGTH = 2048;

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

const toPattern = (url: string): RegExp =>
  new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`);

export function registerMethodNotAllowed(app: FastifyInstance): void {
  const known = new Map<string, KnownPath>();
  app.addHook('onRoute', (route) => {
    const path = known.get(route.url) ?? { pattern: toPattern(route.url), methods: new Set<string>() };
    for (const method of [route.method].flat()) path.methods.add(method);
    known.set(route.url, path);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = new Set<string>();
    for (const { pattern, methods } of known.values()) if (pattern.test(path)) methods.forEach((m) => allowed.add(m));
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    if (allowed.size === 0) throw new HttpError(404, `Route ${request.method}:${shown} not found`);
    // The route serves this method, yet the router missed it: a path parameter longer than it takes.
    if (allowed.has(request.method))
      throw new HttpError(414, `${shown}: a path parameter may have at most ${MAX_PARAM_LENGTH} characters`);
    const allow = [...allowed].join(', ');
    return reply
      .code(405)
      .header('allow', allow)
      .send({
        statusCode: 405,
        error: 'Method Not Allowed',
        message: `${request.method} is not allowed on ${shown}: use ${allow}`,
      });
  });
}
