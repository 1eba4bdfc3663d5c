import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Database = NodePgDatabase<typeof schema>;
/** A transaction handle: query functions accept either. */
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
export type DbOrTx = Database | Tx;

export interface DbHandle {
  db: Database;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** The one way to open the application database. */
export function createDb(url: string, options: { max?: number } = {}): DbHandle {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}

/**
 * A statement built once per database handle (the pool's, or a transaction's for its duration)
 * and prepared by name: drizzle builds its SQL once, PostgreSQL parses it once per connection.
 * `name` must be unique to the statement.
 */
export function preparedPerHandle<P>(build: (db: DbOrTx) => P): (db: DbOrTx) => P {
  const built = new WeakMap<DbOrTx, P>();
  return (db) => {
    let prepared = built.get(db);
    if (!prepared) built.set(db, (prepared = build(db)));
    return prepared;
  };
}

/** A statement of fixed text, run by name: PostgreSQL parses it once on each connection that runs it. */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * The node-postgres pool (or client) behind a database handle; for a transaction, the
 * connection it holds, so that its statements run inside it.
 */
function driverOf(db: DbOrTx): pg.Pool | pg.PoolClient | pg.Client {
  return (db as unknown as { session: { client: pg.Pool | pg.PoolClient | pg.Client } }).session.client;
}

/** Runs a named statement with its parameters on the handle's connection; answers its rows. */
export async function runNamed<Row extends pg.QueryResultRow>(
  db: DbOrTx,
  statement: NamedStatement,
  values: unknown[],
): Promise<Row[]> {
  const result = await driverOf(db).query<Row>({ name: statement.name, text: statement.text, values });
  return result.rows;
}
