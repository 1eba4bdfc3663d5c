/**
 * The local parts that `npm run dev`, `npm test`, `npm run bench` and the fault drills run on:
 * PostgreSQL (embedded under <STATE_DIR>/pg, or DATABASE_URL's), migrated and seeded, and a
 * Temporal CLI dev server (on a SQLite file or in memory, or TEMPORAL_ADDRESS's) with the
 * project's search attributes. The two start side by side; `stop()` stops what was started in
 * reverse order. A start that fails at any step stops whatever had started and names the step.
 */
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { createDb } from '../../db/client.js';
import { applyMigrations } from '../../db/migrate.js';
import { seedReferenceData } from '../../db/seed/seed.js';
import { STATE_DIR } from './paths.js';
import { launchOnPort } from './ports.js';
import {
  dropDatabase,
  ensureDatabase,
  removeAbandonedClusters,
  removeClusterFiles,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from './postgres.js';
import { registerSearchAttributes } from './searchAttributes.js';
import { startTemporalDevServer, type DevServer } from './temporalDevServer.js';
import { resolveTool, TEMPORAL_CLI } from './tools.js';

export interface PostgresOptions {
  /** A running server to use instead of an embedded one (DATABASE_URL). */
  url?: string;
  /** What `url` names: the database to use as it is (default), or a server to create `database` on. */
  urlIs?: 'database' | 'server';
  /**
   * The embedded cluster's directory under <STATE_DIR>/pg (`dev`); with `throwaway`, the prefix
   * of this process's own `<cluster>-<pid>`.
   */
  cluster: string;
  /**
   * A cluster of this process's own: started empty, its files removed by `stop()`. Clusters of
   * the same prefix whose process is gone (a run killed before its teardown) are removed first.
   */
  throwaway?: boolean;
  /** The embedded server's port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** The application database, created unless `url` names it. */
  database: string;
  /** Drops `database` first (a template made afresh at every run). */
  recreate?: boolean;
}

export interface TemporalOptions {
  /** A running frontend to use instead of a dev server (TEMPORAL_ADDRESS). */
  address?: string;
  /** The Temporal CLI; found like `npm run tools` finds it when omitted. */
  cliPath?: string;
  /** The frontend's port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** The Web UI's port; headless when omitted. */
  uiPort?: number;
  /** The codec server the Web UI decodes payloads with. */
  uiCodecEndpoint?: string;
  /** A SQLite file whose open cases survive a restart; in memory when omitted. */
  dbFile?: string;
  namespace?: string;
  /**
   * Registers the search attributes through the operator service as well (the dev server is
   * started with them as flags; a server of TEMPORAL_ADDRESS may lack them).
   */
  registerSearchAttributes?: boolean;
}

export interface LocalStackOptions {
  postgres: PostgresOptions;
  temporal: TemporalOptions;
  /** Progress lines; none when omitted. */
  log?: (message: string) => void;
  /** Aborting it makes the start stop what it started (after the step under way) and reject. */
  signal?: AbortSignal;
}

/** A server the stack started, which can be stopped and started again on the same port and files. */
export interface LocalServer {
  readonly what: string;
  readonly running: boolean;
  /** Stops the server; its files stay. */
  stop(): Promise<void>;
  /** Starts it again (after `stop()`) on the same port and files. */
  start(): Promise<void>;
}

export interface LocalStack {
  /** The application database. */
  databaseUrl: string;
  /** The server's maintenance database (or `url` when it names a server): where more databases are created. */
  postgresServerUrl: string;
  temporalAddress: string;
  /** The dev server's Web UI, when started with one. */
  uiUrl: string | undefined;
  /** The embedded PostgreSQL; undefined when `postgres.url` is used. */
  postgres: LocalServer | undefined;
  /** The Temporal dev server; undefined when `temporal.address` is used. */
  temporal: LocalServer | undefined;
  /** Stops everything started, in reverse order (and removes a throwaway cluster); rejects naming what failed to stop. */
  stop(): Promise<void>;
}

/** `url` without its password, for log lines. */
export function withoutPassword(url: string): string {
  return url.replace(/:[^:@/]+@/, ':***@');
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

/** A restartable server: the handle of its current run, if it runs. */
class Server<T extends { stop(): Promise<void> }> implements LocalServer {
  current: T | undefined;

  constructor(
    readonly what: string,
    private readonly launch: () => Promise<T>,
  ) {}

  get running(): boolean {
    return this.current !== undefined;
  }

  async start(): Promise<void> {
    if (!this.current) this.current = await this.launch();
  }

  async stop(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.stop();
  }
}

/** What has started so far; stopped in reverse order. */
class Started {
  private readonly parts: { what: string; stop: () => Promise<void> }[] = [];

  add(what: string, stop: () => Promise<void>): void {
    this.parts.push({ what, stop });
  }

  /** Tries every part; rejects with one line per part that failed to stop. */
  async stopAll(): Promise<void> {
    const failures: string[] = [];
    for (const { what, stop } of this.parts.splice(0).reverse()) {
      await stop().catch((error: unknown) => failures.push(`stopping ${what}: ${messageOf(error)}`));
    }
    if (failures.length > 0) throw new Error(failures.join('\n'));
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The steps of one start: each names itself in its failure; the first failure ends the others at their next step. */
class Steps {
  private readonly failed = new AbortController();
  firstError: Error | undefined;

  constructor(private readonly signal: AbortSignal | undefined) {}

  async run<T>(what: string, step: () => Promise<T>): Promise<T> {
    if (this.signal?.aborted) throw this.fail(new Error(`stopped before ${what}`));
    if (this.failed.signal.aborted) throw this.firstError!;
    try {
      return await step();
    } catch (error) {
      throw this.fail(new Error(`${what} failed: ${messageOf(error)}`, { cause: error }));
    }
  }

  private fail(error: Error): Error {
    this.firstError ??= error;
    this.failed.abort();
    return error;
  }
}

interface Context {
  steps: Steps;
  started: Started;
  log: (message: string) => void;
}

async function startPostgres(
  options: PostgresOptions,
  { steps, started, log }: Context,
): Promise<Pick<LocalStack, 'databaseUrl' | 'postgresServerUrl' | 'postgres'>> {
  let serverUrl = options.url;
  let server: Server<EmbeddedPostgresHandle> | undefined;
  if (!serverUrl) {
    const embedded = await steps.run('starting PostgreSQL', async () => {
      const pgDir = join(STATE_DIR, 'pg');
      const dataDir = join(pgDir, options.throwaway ? `${options.cluster}-${process.pid}` : options.cluster);
      if (options.throwaway) {
        // A directory of this run's own: two runs side by side never share a cluster.
        await removeAbandonedClusters(pgDir, options.cluster);
        await removeClusterFiles(dataDir, dataDir);
      }
      // Where the files really are (a /var/tmp stand-in as root, see postgres.ts), for their removal.
      let files = resolve(dataDir);
      const pg = await launchOnPort(options.port, async (port) => {
        const server = new Server('PostgreSQL', async () => {
          const handle = await startEmbeddedPostgres({
            dataDir,
            port,
            onLog: (line) => {
              if (line.includes('cannot reach')) log(line);
            },
          });
          files = handle.dataDir;
          return handle;
        });
        log(`starting embedded PostgreSQL on 127.0.0.1:${port}`);
        await server.start();
        return server;
      });
      started.add('PostgreSQL', async () => {
        await pg.stop();
        if (options.throwaway) await removeClusterFiles(dataDir, files);
      });
      log(`PostgreSQL ready (data in ${files})`);
      return pg;
    });
    server = embedded;
    serverUrl = embedded.current!.serverUrl;
  } else {
    log(`PostgreSQL: ${withoutPassword(serverUrl)}`);
  }
  const url = serverUrl;
  const databaseUrl = await steps.run('migrating the database', async () => {
    let databaseUrl = url;
    if (server || options.urlIs === 'server') {
      if (options.recreate) await dropDatabase(url, options.database);
      databaseUrl = await ensureDatabase(url, options.database);
    }
    const counts = await migrateAndSeed(databaseUrl);
    log(
      `database migrations applied; reference data loaded: ${Object.entries(counts)
        .map(([table, n]) => `${table} ${n}`)
        .join(', ')}`,
    );
    return databaseUrl;
  });
  return { databaseUrl, postgresServerUrl: url, postgres: server };
}

async function startTemporal(
  options: TemporalOptions,
  { steps, started, log }: Context,
): Promise<Pick<LocalStack, 'temporalAddress' | 'uiUrl' | 'temporal'>> {
  const namespace = options.namespace ?? 'default';
  let address = options.address;
  let uiUrl: string | undefined;
  let server: Server<DevServer> | undefined;
  if (!address) {
    server = await steps.run('starting the Temporal dev server', async () => {
      const cliPath = options.cliPath ?? (await resolveTool(TEMPORAL_CLI)).path;
      if (!cliPath) {
        throw new Error(
          'no Temporal CLI: run `npm run tools`, set TEMPORAL_CLI_PATH, or TEMPORAL_ADDRESS to use a running cluster',
        );
      }
      const dev = await launchOnPort(options.port, async (port) => {
        const server = new Server('the Temporal dev server', () =>
          startTemporalDevServer({
            cliPath,
            port,
            uiPort: options.uiPort,
            uiCodecEndpoint: options.uiCodecEndpoint,
            dbFile: options.dbFile,
            namespace,
          }),
        );
        log(
          `starting the Temporal dev server on 127.0.0.1:${port} (${options.dbFile ? `state in ${options.dbFile}` : 'in memory'})`,
        );
        await server.start();
        return server;
      });
      started.add('the Temporal dev server', () => dev.stop());
      log(`Temporal dev server ready on ${dev.current!.address}`);
      return dev;
    });
    address = server.current!.address;
    uiUrl = server.current!.uiUrl;
  } else {
    log(`Temporal: ${address}`);
  }
  if (options.registerSearchAttributes) {
    const frontend = address;
    await steps.run('registering the search attributes', async () => {
      const connection = await Connection.connect({ address: frontend });
      try {
        const added = await registerSearchAttributes(connection, namespace);
        log(
          added.length ? `search attributes registered: ${added.join(', ')}` : 'search attributes already registered',
        );
      } finally {
        await connection.close();
      }
    });
  }
  return { temporalAddress: address, uiUrl, temporal: server };
}

/**
 * Starts PostgreSQL (migrated and seeded) and Temporal side by side. When a step fails, or
 * `signal` aborts, whatever started is stopped and the start rejects naming the step.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const context: Context = {
    steps: new Steps(options.signal),
    started: new Started(),
    log: options.log ?? (() => undefined),
  };
  const [postgres, temporal] = await Promise.allSettled([
    startPostgres(options.postgres, context),
    startTemporal(options.temporal, context),
  ]);
  if (postgres.status === 'rejected' || temporal.status === 'rejected') {
    // Leave nothing behind; a part that will not stop is named after the failure itself.
    const failure =
      context.steps.firstError ??
      ((postgres.status === 'rejected' ? postgres.reason : (temporal as PromiseRejectedResult).reason) as Error);
    const unstopped = await context.started.stopAll().then(
      () => undefined,
      (error: Error) => error,
    );
    if (unstopped) throw new Error(`${failure.message}\n${unstopped.message}`, { cause: failure });
    throw failure;
  }
  const stack: LocalStack = {
    ...postgres.value,
    ...temporal.value,
    stop: () => context.started.stopAll(),
  };
  if (options.signal?.aborted) {
    // Aborted during the last step: nothing is handed out.
    await stack.stop();
    throw new Error('stopped while starting');
  }
  return stack;
}
