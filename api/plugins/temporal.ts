import fp from 'fastify-plugin';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

declare module 'fastify' {
  interface FastifyInstance {
    temporal: Client;
    /** Resolves when the Temporal frontend answers. */
    pingTemporal(): Promise<void>;
  }
}

export default fp<{ address: string; namespace: string }>(
  async (app, options) => {
    // A lazy connection: the API starts (and reports itself not ready) while Temporal is down.
    // Few retries: a caller gets a 503 with Retry-After in about a second instead of waiting ~20 s.
    const connection = Connection.lazy({
      address: options.address,
      connectTimeout: '3s',
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))],
    });
    const client = new Client({ connection, namespace: options.namespace });
    app.decorate('temporal', client);
    app.decorate('pingTemporal', async () => {
      await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
    });
    app.addHook('onClose', async () => connection.close());
  },
  { name: 'temporal' },
);
