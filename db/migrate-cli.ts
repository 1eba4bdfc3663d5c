/** `npm run db:migrate`: applies migrations to DATABASE_URL. */
import { withDatabaseFromEnv } from './cli.js';
import { applyMigrations } from './migrate.js';

await withDatabaseFromEnv(async (db) => {
  await applyMigrations(db);
  process.stdout.write('migrations applied\n');
});
