/** For the `db:*` commands: a database from DATABASE_URL, one connection, closed at the end; errors as a line, exit 1. */
import { createDb, type Database } from './client.js';

export async function withDatabaseFromEnv(task: (db: Database) => Promise<void>): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('DATABASE_URL is not set (npm run dev sets it for the embedded PostgreSQL).\n');
    process.exit(2);
  }
  const handle = createDb(url, { max: 1 });
  try {
    await task(handle.db);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  } finally {
    await handle.close();
  }
}
