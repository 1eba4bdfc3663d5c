/** `npm run db:seed`: applies migrations to DATABASE_URL, loads the reference data, prints the row counts. */
import { createDb } from '../client.js';
import { applyMigrations } from '../migrate.js';
import { SEED_DATA_DIR, seedReferenceData } from './seed.js';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is not set (npm run dev sets it for the embedded PostgreSQL).\n');
  process.exit(2);
}
const handle = createDb(url, { max: 1 });
try {
  await applyMigrations(handle.db);
  const counts = await seedReferenceData(handle.db);
  process.stdout.write(`reference data from ${SEED_DATA_DIR} loaded:\n`);
  const width = Math.max(...Object.keys(counts).map((k) => k.length));
  for (const [table, n] of Object.entries(counts)) process.stdout.write(`  ${table.padEnd(width)}  ${n}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await handle.close();
}
