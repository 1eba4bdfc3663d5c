/** `npm run db:seed`: applies migrations to DATABASE_URL, loads the reference data, prints the row counts. */
import { withDatabaseFromEnv } from '../cli.js';
import { applyMigrations } from '../migrate.js';
import { SEED_DATA_DIR, seedReferenceData } from './seed.js';

await withDatabaseFromEnv(async (db) => {
  await applyMigrations(db);
  const counts = await seedReferenceData(db);
  process.stdout.write(`reference data from ${SEED_DATA_DIR} loaded:\n`);
  const width = Math.max(...Object.keys(counts).map((k) => k.length));
  for (const [table, n] of Object.entries(counts)) process.stdout.write(`  ${table.padEnd(width)}  ${n}\n`);
});
