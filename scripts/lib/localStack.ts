import { join } from 'node:path';
import { createDb } from '../../db/client.js';
import { applyMigrations } from '../../db/migrate.js';
import { seedReferenceData } from '../../db/seed/seed.js';
import { STATE_DIR } from './paths.js';
import { ensureDatabase, startEmbeddedPostgres } from './postgres.js';
import { step } from './log.js';

export interface LocalDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * The application database: DATABASE_URL when set, otherwise an embedded PostgreSQL whose
 * files live under .jiesu/pg/<name>. Migrations are applied either way.
 */
export async function startDatabase(options: {
  name: string;
  port: number;
  databaseName: string;
}): Promise<LocalDatabase> {
  let url = process.env.DATABASE_URL;
  let stop = async (): Promise<void> => undefined;
  if (!url) {
    step(`starting embedded PostgreSQL on 127.0.0.1:${options.port}`);
    const pg = await startEmbeddedPostgres({
      dataDir: join(STATE_DIR, 'pg', options.name),
      port: options.port,
      onLog: (line) => {
        if (line.includes('cannot reach')) step(line);
      },
    });
    step(`PostgreSQL ready (data in ${pg.dataDir})`);
    stop = () => pg.stop();
    url = pg.serverUrl;
  }
  let counts: Record<string, number>;
  try {
    if (!process.env.DATABASE_URL) url = await ensureDatabase(url, options.databaseName);
    counts = await migrateAndSeed(url);
  } catch (error) {
    // Leave no server behind when the database cannot be prepared.
    await stop().catch(() => undefined);
    throw error;
  }
  step(
    `database migrations applied; reference data loaded: ${Object.entries(counts)
      .map(([table, n]) => `${table} ${n}`)
      .join(', ')}`,
  );
  return { url, embedded: !process.env.DATABASE_URL, stop };
}

/** Applies the migrations and loads the reference data (idempotent); the row counts per table. */
export async function migrateAndSeed(url: string): Promise<Record<string, number>> {
  const handle = createDb(url, { max: 1 });
  try {
    await applyMigrations(handle.db);
    return await seedReferenceData(handle.db);
  } finally {
    await handle.close();
  }
}
