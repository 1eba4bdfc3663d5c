import fp from 'fastify-plugin';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { dataConverterOf } from '../../platform/payloadCodec.js';

declare module 'fastify' {
  interface FastifyInstance {
    temporal: Client;
    /** Resolves when the Temporal frontend answers. */
    pingTemporal(): Promise<void>;
  }
}

export default fp<{ address: string; namespace: string; payloadCodec?: PayloadCodec }>(
  async (app, options) => {
    // A lazy connection: the API starts (and reports itself not ready) while Temporal is down.
    // Few retries: a caller gets a 503 with Retry-After in about a second instead of waiting ~20 s.
    const connection = Connection.lazy({
      address: options.address,
      connectTimeout: '3s',
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))],
    });
    // With a codec (PAYLOAD_KEYS), every payload the client sends is encrypted and every one it reads decrypted.
    const client = new Client({ connection, namespace: options.namespace, ...dataConverterOf(options.payloadCodec) });
    app.decorate('temporal', client);
    app.decorate('pingTemporal', async () => {
      await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
    });
    app.addHook('onClose', async () => connection.close());
  },
  { name: 'temporal' },
);
