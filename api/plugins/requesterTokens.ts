import fp from 'fastify-plugin';
import type { RequesterTokens } from '../requesterToken.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Issues and checks requesters' tokens (`api/requesterToken.ts`). */
    requesterTokens: RequesterTokens;
  }
}

export default fp<{ tokens: RequesterTokens; development: boolean }>(
  async (app, { tokens, development }) => {
    if (development)
      app.log.warn(
        'NO REQUESTER_TOKEN_SECRET CONFIGURED: requesters’ tokens are derived from the development secret. Set it for anything but local development.',
      );
    app.decorate('requesterTokens', tokens);
  },
  { name: 'requester-tokens' },
);
