import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';

const metrics: FastifyPluginAsync = async (app) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        security: [],
        summary: 'Prometheus metrics (HTTP, appeals started, updates rejected, overdue cases)',
        produces: ['text/plain'],
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) => {
      reply.header('content-type', app.metrics.registry.contentType);
      return app.metrics.registry.metrics();
    },
  );
};

export default metrics;
