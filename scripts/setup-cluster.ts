/**
 * One-shot set-up of a deployed stack (the compose `setup` service), safe to run at every
 * start: applies database migrations, registers the Temporal namespace (when missing) and the
 * project's search attributes on it, loads the reference data, and creates (or brings up to
 * date) the `monthly-assessment` and `personal-data-anonymisation` Schedules.
 */
import { Connection } from '@temporalio/client';
import { createDb } from '../db/client.js';
import { applyMigrations } from '../db/migrate.js';
import { seedReferenceData } from '../db/seed/seed.js';
import { loadWorkerConfig } from '../worker/config.js';
import { describePrepared, prepareNamespace } from './lib/namespace.js';
import { ensureSchedulesAt } from './lib/schedules.js';
import { step } from './lib/log.js';

const config = loadWorkerConfig();
const database = createDb(config.DATABASE_URL, { max: 2 });
try {
  await applyMigrations(database.db);
  step('migrations applied');
  const counts = await seedReferenceData(database.db);
  step(
    `reference data: ${Object.entries(counts)
      .map(([table, n]) => `${table} ${n}`)
      .join(', ')}`,
  );
} finally {
  await database.close();
}
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
try {
  const prepared = await prepareNamespace(connection, config.TEMPORAL_NAMESPACE);
  step(describePrepared(config.TEMPORAL_NAMESPACE, prepared));
} finally {
  await connection.close();
}
// The monthly freeze of the rankings (Art. 25) and the daily anonymisation of closed appeals (Art. 26).
step(
  await ensureSchedulesAt(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE, {
    retentionDays: config.PERSONAL_DATA_RETENTION_DAYS,
  }),
);
