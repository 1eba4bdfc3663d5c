/**
 * The real Temporal server, as production runs it, for `npm run cluster` and the cluster drills:
 * built once from its Go module (`go.temporal.io/server`, the server and its SQL schema tool) into
 * <STATE_DIR>/tools, set up on PostgreSQL by deploy/temporal/setup-schema.sh, and configured by
 * deploy/temporal/config/production.yaml: the same files the compose stack mounts, so the two
 * cannot drift. Each service (history, matching, frontend, worker) is a process of its own.
 *
 * Not part of `npm run setup`: the first build takes minutes and only the cluster needs it.
 */
import { existsSync } from 'node:fs';
import { access, constants, cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { ROOT, STATE_DIR, TOOLS_DIR } from './paths.js';
import { assertPortFree } from './ports.js';
import { run, tail } from './run.js';

/** Pinned: v1.29.1 builds with the Go toolchain installed here (later ones may need a newer Go). */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
const MODULE = 'go.temporal.io/server';
/** The `go` directive of the pinned module's go.mod. */
const GO_NEEDED = '1.25';

/** deploy/temporal, relative to the root given to the server; the compose stack mounts the same folder. */
export const TEMPORAL_DEPLOY_DIR = join(ROOT, 'deploy', 'temporal');
export const TEMPORAL_CONFIG_ENV = 'production';
export const DYNAMIC_CONFIG_FILE = join(TEMPORAL_DEPLOY_DIR, 'dynamicconfig', 'production.yaml');
const SCHEMA_SCRIPT = join(TEMPORAL_DEPLOY_DIR, 'setup-schema.sh');

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  source: 'env' | 'cache' | 'go';
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const missingGo = (detail: string): Error =>
  new Error(
    [
      `building the Temporal server v${TEMPORAL_SERVER_VERSION} needs Go ${GO_NEEDED} or newer (\`go\` on PATH): ${detail}.`,
      '  Install Go (https://go.dev/doc/install; the Go module proxy must be reachable), or set',
      '  TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH to prebuilt `temporal-server` and `temporal-sql-tool` binaries.',
    ].join('\n'),
  );

/** Go's caches under <STATE_DIR>/go unless the caller set them (CI can keep the folder between runs). */
export function goBuildEnv(bin: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOBIN: bin,
    GOMODCACHE: process.env.GOMODCACHE || join(STATE_DIR, 'go', 'mod'),
    GOCACHE: process.env.GOCACHE || join(STATE_DIR, 'go', 'cache'),
    // Writable module cache, so deleting .jiesu needs no chmod; no VCS stamping outside a repository.
    GOFLAGS: [process.env.GOFLAGS, '-modcacherw', '-buildvcs=false'].filter(Boolean).join(' '),
    // The installed toolchain or a clear failure, never a toolchain download.
    GOTOOLCHAIN: 'local',
  };
}

/**
 * The server and SQL tool binaries: TEMPORAL_SERVER_PATH / TEMPORAL_SQL_TOOL_PATH, the cache
 * under <STATE_DIR>/tools/temporal-server-<version>, or built there now with `go install`.
 */
export async function ensureTemporalServer(log: (message: string) => void): Promise<TemporalServerBinaries> {
  const fromEnv = { server: process.env.TEMPORAL_SERVER_PATH, sqlTool: process.env.TEMPORAL_SQL_TOOL_PATH };
  if (fromEnv.server || fromEnv.sqlTool) {
    for (const [name, path] of [
      ['TEMPORAL_SERVER_PATH', fromEnv.server],
      ['TEMPORAL_SQL_TOOL_PATH', fromEnv.sqlTool],
    ] as const) {
      if (!path || !(await isExecutable(path)))
        throw new Error(`${name}=${path ?? ''} is not an executable file (set both variables, or neither)`);
    }
    return { server: fromEnv.server!, sqlTool: fromEnv.sqlTool!, source: 'env' };
  }

  const dir = join(TOOLS_DIR, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const binaries = { server: join(dir, 'temporal-server'), sqlTool: join(dir, 'temporal-sql-tool') };
  const marker = join(dir, 'built');
  if (existsSync(marker) && (await isExecutable(binaries.server)) && (await isExecutable(binaries.sqlTool))) {
    return { ...binaries, source: 'cache' };
  }

  const version = await run('go', ['version']);
  if (version.code === 127) throw missingGo('`go` was not found');
  if (version.code !== 0) throw missingGo(`\`go version\` failed: ${tail(version.output, 2)}`);
  const started = Date.now();
  log(
    `building the Temporal server v${TEMPORAL_SERVER_VERSION} and its SQL tool with ${version.output.trim()} ` +
      `(once; a few minutes on 2 cores) into ${dir}`,
  );
  await mkdir(dir, { recursive: true });
  let lastShown = 0;
  const build = await run(
    'go',
    [
      'install',
      `${MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
      `${MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
    ],
    {
      env: goBuildEnv(dir),
      onLine: (line) => {
        // Downloads are many and quick: one line every few seconds shows that it moves.
        if (Date.now() - lastShown > 5000) {
          lastShown = Date.now();
          log(`  go: ${line.trim().replace(/^go: /, '')}`);
        }
      },
    },
  );
  if (build.code !== 0) {
    if (/requires go >=|go: downloading go1|toolchain/.test(build.output))
      throw missingGo(`the installed ${version.output.trim()} is too old:\n${tail(build.output)}`);
    throw new Error(
      `go install ${MODULE}@v${TEMPORAL_SERVER_VERSION} failed (exit ${build.code}):\n${tail(build.output)}`,
    );
  }
  // `go install` names binaries after their package folders (server, sql).
  await rename(join(dir, 'server'), binaries.server);
  await rename(join(dir, 'sql'), binaries.sqlTool);
  await writeFile(marker, `${new Date().toISOString()} built in ${Math.round((Date.now() - started) / 1000)} s\n`);
  log(`Temporal server built in ${Math.round((Date.now() - started) / 1000)} s`);
  return { ...binaries, source: 'go' };
}

export const TEMPORAL_SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

/** Every port of the four services on one host: each process must know them all. */
export interface TemporalPorts {
  grpc: Record<TemporalService, number>;
  membership: Record<TemporalService, number>;
  frontendHttp: number;
  /** Prometheus metrics of each service process, at http://127.0.0.1:<port>/metrics. */
  metrics: Record<TemporalService, number>;
}

/** The fixed ports of `npm run cluster` (beside `npm run dev`'s 7233/8233), shifted by `base - 7400`. */
export function clusterPorts(base = 7400): TemporalPorts {
  const at = (offset: number) => base + offset;
  return {
    grpc: { frontend: at(33), history: at(34), matching: at(35), worker: at(39) },
    frontendHttp: at(43),
    membership: { frontend: at(53), history: at(54), matching: at(55), worker: at(59) },
    metrics: { frontend: at(63), history: at(64), matching: at(65), worker: at(69) },
  };
}

/** The thirteen ports of a cluster's Temporal services. */
export const portsOf = (ports: TemporalPorts): number[] => [
  ports.frontendHttp,
  ...TEMPORAL_SERVICES.flatMap((s) => [ports.grpc[s], ports.membership[s], ports.metrics[s]]),
];

/**
 * A base whose thirteen ports (see `clusterPorts`) are all free, tried from a random start, for a
 * cluster beside others (the benchmark's, the drills'). All below 32,768: Temporal keeps each
 * service's membership port in a PostgreSQL smallint; and the system's ephemeral ports lie above
 * it, so a port picked there could be taken by any outgoing connection before the service binds
 * it, and a service that cannot bind its port exits.
 */
export async function freeClusterPorts(what: string): Promise<TemporalPorts> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const ports = clusterPorts(10_000 + Math.floor(Math.random() * 225) * 100);
    const free = await Promise.all(
      portsOf(ports).map((p) =>
        assertPortFree(p, what).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (free.every(Boolean)) return ports;
  }
  throw new Error(`no free range of ports for ${what}`);
}

export interface TemporalPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** The variables deploy/temporal/config/production.yaml and setup-schema.sh read. */
export function temporalServerEnv(options: {
  postgres: TemporalPostgres;
  ports: TemporalPorts;
  shards: number;
  logLevel?: string;
}): Record<string, string> {
  const { postgres, ports } = options;
  return {
    POSTGRES_SEEDS: postgres.host,
    DB_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PWD: postgres.password,
    NUM_HISTORY_SHARDS: String(options.shards),
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    FRONTEND_GRPC_PORT: String(ports.grpc.frontend),
    FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(ports.membership.frontend),
    HISTORY_GRPC_PORT: String(ports.grpc.history),
    HISTORY_MEMBERSHIP_PORT: String(ports.membership.history),
    MATCHING_GRPC_PORT: String(ports.grpc.matching),
    MATCHING_MEMBERSHIP_PORT: String(ports.membership.matching),
    WORKER_GRPC_PORT: String(ports.grpc.worker),
    WORKER_MEMBERSHIP_PORT: String(ports.membership.worker),
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
    LOG_LEVEL: options.logLevel ?? 'info',
  };
}

/** Creates (or upgrades) Temporal's two databases, as the compose stack's `temporal-schema` job does. */
export async function setupTemporalSchema(sqlTool: string, env: Record<string, string>): Promise<string> {
  const result = await run('sh', [SCHEMA_SCRIPT], { env: { ...process.env, ...env, SQL_TOOL: sqlTool } });
  if (result.code !== 0) throw new Error(`${SCHEMA_SCRIPT} failed (exit ${result.code}):\n${tail(result.output, 12)}`);
  return result.output
    .split('\n')
    .filter((line) => line.startsWith('temporal schema:'))
    .join('; ');
}

/** The command line of one service process (its environment: `temporalServerEnv` plus its metrics port). */
export function temporalServiceCommand(
  server: string,
  service: TemporalService,
  env: Record<string, string>,
  ports: TemporalPorts,
): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    command: server,
    args: [
      '--root',
      ROOT,
      '--config',
      'deploy/temporal/config',
      '--env',
      TEMPORAL_CONFIG_ENV,
      '--allow-no-auth',
      'start',
      '--service',
      service,
    ],
    env: { ...process.env, ...env, PROMETHEUS_ENDPOINT: `127.0.0.1:${ports.metrics[service]}` },
  };
}

/** Resolves once something accepts TCP connections on `port`. */
export async function waitForPort(port: number, what: string, timeoutMs = 60_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not listen on ${host}:${port} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Resolves once the frontend answers `GetSystemInfo`. */
export async function waitForFrontend(address: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(
    `the Temporal frontend at ${address} did not answer within ${timeoutMs / 1000} s: ${String(lastError)}`,
  );
}

/**
 * Resolves once the namespace serves visibility queries on every search attribute: the
 * frontend caches namespaces (refreshed every 10 s) and search attributes, so a fresh
 * registration takes a moment to be usable.
 */
export async function waitForNamespace(
  address: string,
  namespace: string,
  query: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const connection = await Connection.connect({ address });
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      try {
        await connection.workflowService.countWorkflowExecutions({ namespace, query });
        return;
      } catch (error) {
        lastError = error;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    await connection.close();
  }
  throw new Error(`namespace ${namespace} was not usable within ${timeoutMs / 1000} s: ${String(lastError)}`);
}

/**
 * The Temporal Web UI as a server of its own (the compose stack runs its image, temporalio/ui, at
 * the same version). `go install` refuses the module (its go.mod has a replace directive), so its
 * source is taken from the module proxy and built as the main module. The UI's assets are
 * committed in the module.
 */
export const TEMPORAL_UI_VERSION = '2.34.0';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

export async function ensureTemporalUi(log: (message: string) => void): Promise<string> {
  const fromEnv = process.env.TEMPORAL_UI_SERVER_PATH;
  if (fromEnv) {
    if (!(await isExecutable(fromEnv))) throw new Error(`TEMPORAL_UI_SERVER_PATH=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const dir = join(TOOLS_DIR, `temporal-ui-server-${TEMPORAL_UI_VERSION}`);
  const binary = join(dir, 'temporal-ui-server');
  if (await isExecutable(binary)) return binary;
  const version = await run('go', ['version']);
  if (version.code !== 0) throw missingGo('`go` was not found');
  log(`building the Temporal Web UI server v${TEMPORAL_UI_VERSION} (once) into ${dir}`);
  const env = goBuildEnv(dir);
  const download = await run('go', ['mod', 'download', '-json', `${UI_MODULE}@v${TEMPORAL_UI_VERSION}`], { env });
  if (download.code !== 0) throw new Error(`go mod download ${UI_MODULE} failed:\n${tail(download.output)}`);
  const source = (JSON.parse(download.output) as { Dir: string }).Dir;
  const work = join(dir, 'src');
  await rm(work, { recursive: true, force: true });
  await cp(source, work, { recursive: true });
  await run('chmod', ['-R', 'u+w', work]);
  const build = await run('go', ['build', '-o', `${binary}.tmp`, './cmd/server'], {
    cwd: work,
    env: { ...env, GOFLAGS: `${env.GOFLAGS} -mod=mod` },
  });
  await rm(work, { recursive: true, force: true });
  if (build.code !== 0) throw new Error(`building ${UI_MODULE} failed (exit ${build.code}):\n${tail(build.output)}`);
  await rename(`${binary}.tmp`, binary);
  return binary;
}

/** The UI server's command line, with a configuration written for this cluster's frontend. */
export async function temporalUiCommand(
  binary: string,
  options: {
    port: number;
    temporalAddress: string;
    namespace: string;
    dir: string;
    /** The API's codec server as the browser reaches it: the UI shows payloads decrypted through it. */
    codecEndpoint?: string;
  },
): Promise<{ command: string; args: string[]; env: NodeJS.ProcessEnv }> {
  await mkdir(join(options.dir, 'config'), { recursive: true });
  await writeFile(
    join(options.dir, 'config', 'cluster.yaml'),
    [
      `temporalGrpcAddress: ${options.temporalAddress}`,
      'host: 127.0.0.1',
      `port: ${options.port}`,
      'enableUi: true',
      `defaultNamespace: ${options.namespace}`,
      'notifyOnNewVersion: false',
      'refreshInterval: 1m',
      'cors:',
      '  cookieInsecure: true',
      ...(options.codecEndpoint ? ['codec:', `  endpoint: ${options.codecEndpoint}`, '  passAccessToken: false'] : []),
      '',
    ].join('\n'),
  );
  return {
    command: binary,
    args: ['--root', options.dir, '--config', 'config', '--env', 'cluster', 'start'],
    env: process.env,
  };
}
