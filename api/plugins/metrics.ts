import fp from 'fastify-plugin';
import { count, and, eq, ne } from 'drizzle-orm';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { appeals } from '../../db/schema/index.js';

export interface ApiMetrics {
  registry: Registry;
  appealsStarted: Counter;
  updatesRejected: Counter<'type'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ApiMetrics;
  }
}

/** Prometheus metrics in a registry of this app's own (tests build several apps in one process). */
export default fp(
  async (app) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const appealsStarted = new Counter({
      name: 'jiesu_appeals_started_total',
      help: 'Appeals started through the API',
      registers: [registry],
    });
    const updatesRejected = new Counter({
      name: 'jiesu_updates_rejected_total',
      help: 'Actions refused by the workflow, by error type',
      labelNames: ['type'],
      registers: [registry],
    });
    new Gauge({
      name: 'jiesu_appeals_overdue',
      help: 'Open appeals past their current deadline (from the case records)',
      registers: [registry],
      async collect() {
        const [row] = await app.db
          .select({ n: count() })
          .from(appeals)
          .where(and(eq(appeals.overdue, true), ne(appeals.stage, 'closed')));
        this.set(row?.n ?? 0);
      },
    });
    app.decorate('metrics', { registry, appealsStarted, updatesRejected });

    app.addHook('onResponse', async (request, reply) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
    });
  },
  { name: 'metrics', dependencies: ['db'] },
);
