/**
 * A method the API does not serve on a path it does serve answers 405 with an `Allow` header
 * (HTTP semantics, and what an OpenAPI client expects), not Fastify's 404. The router only knows
 * exact routes, so the patterns are collected as routes are added and matched here.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

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
    if (allowed.size === 0) throw new HttpError(404, `Route ${request.method}:${path} not found`);
    const allow = [...allowed].join(', ');
    return reply
      .code(405)
      .header('allow', allow)
      .send({
        statusCode: 405,
        error: 'Method Not Allowed',
        message: `${request.method} is not allowed on ${path}: use ${allow}`,
      });
  });
}
