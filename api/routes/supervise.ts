/**
 * The supervisor page: a static shell (HTML, its script and stylesheet, ECharts) that holds no
 * data. In the browser it takes the key from the URL fragment (`/supervise#key=…`, which never
 * reaches the server or its logs) or a form, and reads everything from /v1 with that key, so
 * the /v1 role checks decide what it shows. Not JSON API: hidden from the OpenAPI document.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { appealWorkflowId } from '../../domain/appeal.js';
import { STUCK_FILTERS } from '../supervise/stuckFilters.js';

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'supervise');
const require = createRequire(import.meta.url);
const ECHARTS_PATH = require.resolve('echarts/dist/echarts.min.js');
const ECHARTS_VERSION = (require('echarts/package.json') as { version: string }).version;

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** Seconds a browser may keep it without asking again. */
  maxAge: number;
}

function asset(path: string, type: string, maxAge: number): Asset {
  const body = readFileSync(path);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, type, etag, maxAge };
}

/** Sends an asset with its validators: a matching `If-None-Match` is a 304 without the body. */
function send(request: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply {
  reply
    .header('content-type', a.type)
    .header('cache-control', a.maxAge > 0 ? `public, max-age=${a.maxAge}` : 'no-cache')
    .header('etag', a.etag)
    .header('x-content-type-options', 'nosniff');
  if (request.headers['if-none-match'] === a.etag) return reply.code(304).send();
  return reply.send(a.body);
}

const hidden = { schema: { hide: true } };

const supervise: FastifyPluginAsync = async (app) => {
  // Read once at start-up: a missing file stops the API, not the first visitor.
  const page = asset(join(PAGE_DIR, 'page.html'), 'text/html; charset=utf-8', 0);
  const script = asset(join(PAGE_DIR, 'page.js'), 'text/javascript; charset=utf-8', 0);
  const style = asset(join(PAGE_DIR, 'page.css'), 'text/css; charset=utf-8', 0);
  // A week: the file changes only with the package version (the ETag tells a new one apart).
  const echarts = asset(ECHARTS_PATH, 'text/javascript; charset=utf-8', 7 * 86_400);
  const config = {
    temporalUiUrl: app.config.TEMPORAL_UI_URL.replace(/\/+$/, ''),
    namespace: app.config.TEMPORAL_NAMESPACE,
    workflowIdPrefix: appealWorkflowId(''),
    echartsVersion: ECHARTS_VERSION,
    filters: STUCK_FILTERS,
  };

  app.get('/supervise', hidden, async (request, reply) => {
    // The page runs only its own script and talks only to this origin.
    reply.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
    );
    reply.header('referrer-policy', 'no-referrer');
    return send(request, reply, page);
  });
  app.get('/supervise/page.js', hidden, async (request, reply) => send(request, reply, script));
  app.get('/supervise/page.css', hidden, async (request, reply) => send(request, reply, style));
  app.get('/supervise/echarts.min.js', hidden, async (request, reply) => send(request, reply, echarts));
  // No data and no secret: where the Temporal UI is, and the stuck-case filters to link to.
  app.get('/supervise/config.json', hidden, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return config;
  });
};

export default supervise;
