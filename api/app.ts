import type { FastifyPluginAsync } from 'fastify';
import type { ApiConfig } from './config.js';
import dbPlugin from './plugins/db.js';
import temporalPlugin from './plugins/temporal.js';
import health from './routes/health.js';

/** The whole API as one Fastify plugin: `server.ts` and the tests register it. */
const app: FastifyPluginAsync<{ config: ApiConfig }> = async (fastify, { config }) => {
  await fastify.register(dbPlugin, { databaseUrl: config.DATABASE_URL });
  await fastify.register(temporalPlugin, { address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
  await fastify.register(health);
};

export default app;
