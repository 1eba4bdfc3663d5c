import fp from 'fastify-plugin';
import type { ApiConfig } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The configuration read and validated once at start-up (`api/config.ts`). */
    config: Readonly<ApiConfig>;
  }
}

export default fp<{ config: ApiConfig }>(
  async (app, { config }) => {
    app.decorate('config', Object.freeze({ ...config }));
  },
  { name: 'config' },
);
