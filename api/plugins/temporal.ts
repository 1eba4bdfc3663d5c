import fp from 'fastify-plugin';
import { Client, Connection } from '@temporalio/client';

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
    const connection = Connection.lazy({ address: options.address });
    const client = new Client({ connection, namespace: options.namespace });
    app.decorate('temporal', client);
    app.decorate('pingTemporal', async () => {
      await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
    });
    app.addHook('onClose', async () => connection.close());
  },
  { name: 'temporal' },
);
