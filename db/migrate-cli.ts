/** `npm run db:migrate`: applies migrations to DATABASE_URL. */
import { createDb } from './client.js';
import { applyMigrations } from './migrate.js';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is not set (npm run dev sets it for the embedded PostgreSQL).\n');
  process.exit(2);
}
const handle = createDb(url, { max: 1 });
try {
  await applyMigrations(handle.db);
  process.stdout.write('migrations applied\n');
} finally {
  await handle.close();
}
