import fp from 'fastify-plugin';
import { sql } from 'drizzle-orm';
import { createDb, type Database } from '../../db/client.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    /** Resolves when PostgreSQL answers a trivial query. */
    pingDb(): Promise<void>;
  }
}

export default fp<{ databaseUrl: string }>(
  async (app, options) => {
    const handle = createDb(options.databaseUrl);
    app.decorate('db', handle.db);
    app.decorate('pingDb', async () => {
      await handle.db.execute(sql`select 1`);
    });
    app.addHook('onClose', async () => handle.close());
  },
  { name: 'db' },
);
