/**
 * The production topology on one machine, for `npm run cluster` and the cluster drills
 * (`npm run test:cluster`): an embedded PostgreSQL (Temporal's persistence and visibility
 * databases beside the application's), the real Temporal server with its four services as
 * separate processes, the namespace and search attributes registered by the compose stack's
 * set-up code, then two worker processes and two API processes. Every process is supervised
 * (restarted after a crash) and can be stopped, SIGKILLed and started again by name; `stop()`
 * stops everything in reverse order. A start that fails at any step stops what had started.
 */
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { startLocalStack, type LocalStack } from './localStack.js';
import { describePrepared, prepareNamespace } from './namespace.js';
import { ROOT } from './paths.js';
import { supervise, type Supervised } from './supervise.js';
import {
  ensureTemporalServer,
  ensureTemporalUi,
  setupTemporalSchema,
  temporalUiCommand,
  TEMPORAL_SERVICES,
  temporalServerEnv,
  temporalServiceCommand,
  waitForFrontend,
  waitForNamespace,
  waitForPort,
  type TemporalPorts,
  type TemporalServerBinaries,
  type TemporalService,
} from './temporalServer.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes.js';
import { TASK_QUEUE } from '../../workflows/appeal/definitions.js';
import { ensureSchedulesAt } from './schedules.js';
import { loadRetentionDays } from '../../worker/config.js';

/** The Temporal side of the topology: PostgreSQL, the four services, the namespace, the UI. */
export interface TemporalClusterOptions {
  /** Embedded PostgreSQL: its directory under <STATE_DIR>/pg, its port, and whether it is this run's own. */
  postgres: { cluster: string; port?: number; throwaway?: boolean };
  temporalPorts: TemporalPorts;
  /** History shards; fixed when the cluster's databases are first created. */
  shards: number;
  /** The Temporal Web UI's port; no UI when omitted (or when it cannot be built). */
  uiPort?: number;
  /** The codec server the UI decodes payloads through (the API's `/codec`), when payloads are encrypted. */
  uiCodecEndpoint?: string;
  /** Where each process writes its output: `<logDir>/<name>.log`. */
  logDir: string;
  namespace?: string;
  log: (message: string) => void;
  signal?: AbortSignal;
}

export interface ClusterOptions extends TemporalClusterOptions {
  /** The two API processes' ports. */
  apiPorts: [number, number];
  /** The workflow bundle the workers load (WORKFLOW_BUNDLE_PATH). */
  workflowBundlePath: string;
  /** Extra environment for the workers and APIs (API keys, log level, timeouts). */
  appEnv?: Record<string, string>;
}

/** `work`, or a rejection as soon as `signal` aborts; the listener goes with the race. */
async function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  let fail: () => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => {
    fail = () => reject(new Error(`stopped while ${what}`));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  try {
    return await Promise.race([work, stopped]);
  } finally {
    signal.removeEventListener('abort', fail);
  }
}

/** One supervised process of the cluster, started again by its supervisor when it crashes. */
export class ClusterProcess {
  private supervised: Supervised | undefined;
  /** The log file's descriptor, shared by every run the supervisor starts; closed by stop(). */
  private out: number | undefined;
  private starting: AbortController | undefined;
  private starts = 0;

  constructor(
    readonly name: string,
    private readonly spawnSpec: () => { command: string; args: string[]; env: NodeJS.ProcessEnv },
    private readonly ready: (since: number) => Promise<void>,
    readonly logFile: string,
    private readonly log: (message: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.supervised?.pid;
  }

  get running(): boolean {
    return this.supervised !== undefined;
  }

  /** Restarts by the supervisor after crashes, plus starts by `start()` after the first. */
  get restarts(): number {
    return (this.supervised?.restarts ?? 0) + Math.max(0, this.starts - 1);
  }

  /** Starts the process (with its spec as it is now) and waits until it is ready; `stop()` ends the wait. */
  async start(): Promise<void> {
    if (this.supervised) return;
    const since = statSizeOrZero(this.logFile);
    this.out = openSync(this.logFile, 'a');
    const { command, args, env } = this.spawnSpec();
    this.supervised = supervise({
      label: this.name,
      command,
      args,
      cwd: ROOT,
      env,
      stdio: ['ignore', this.out, this.out],
      log: this.log,
      exitReason: () => lastFailure(this.logTail(40)),
    });
    this.starts += 1;
    const starting = (this.starting = new AbortController());
    try {
      await unlessAborted(this.ready(since), starting.signal, `starting ${this.name}`);
    } catch (error) {
      // Never left running when it was not ready.
      await this.stop();
      throw new Error(`${(error as Error).message}\n--- ${this.logFile} ---\n${this.logTail()}`, { cause: error });
    }
  }

  /** SIGTERM (SIGKILL after 5 s); no restart until `start()`. */
  async stop(): Promise<void> {
    const supervised = this.detach();
    await supervised?.stop();
    this.closeLog();
  }

  /** SIGKILL: no shutdown, nothing handed back; no restart until `start()`. */
  async kill(): Promise<void> {
    const supervised = this.detach();
    if (!supervised) return;
    if (supervised.pid !== undefined) process.kill(supervised.pid, 'SIGKILL');
    // Told to stop in the same tick, so the supervisor never sees the exit as a crash to restart.
    await supervised.stop();
    this.closeLog();
  }

  private detach(): Supervised | undefined {
    const supervised = this.supervised;
    this.supervised = undefined;
    this.starting?.abort();
    return supervised;
  }

  private closeLog(): void {
    if (this.out !== undefined && !this.supervised) {
      closeSync(this.out);
      this.out = undefined;
    }
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no output)';
    }
  }
}

/**
 * The last line of a process's output that reports a failure (a Go service's fatal or error entry,
 * a pino error, a panic), shortened to its message and error: what a crash loop says about itself.
 */
export function lastFailure(output: string): string | undefined {
  const line = output
    .split('\n')
    .reverse()
    .find((l) => /"level":"(fatal|dpanic|panic|error)"|"level":(50|60)\b|^panic:|^fatal error:/.test(l));
  if (!line) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; error?: unknown; err?: { message?: unknown } };
    const error = entry.error ?? entry.err?.message;
    return [entry.msg, error]
      .filter((part) => part !== undefined)
      .map(String)
      .join(': ')
      .slice(0, 400);
  } catch {
    return line.slice(0, 400);
  }
}

const statSizeOrZero = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

/** Waits until `text` appears in `file` after byte `since` (a process's line that it is ready). */
async function waitForLine(
  file: string,
  since: number,
  text: string,
  what: string,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (readFileSync(file).subarray(since).toString('utf8').includes(text)) return;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not log "${text}" within ${timeoutMs / 1000} s`);
}

async function waitForHealth(url: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s`);
}

export interface TemporalCluster {
  binaries: TemporalServerBinaries;
  temporalAddress: string;
  namespace: string;
  databaseUrl: string;
  /** The maintenance database of the embedded server (Temporal's databases are beside it). */
  postgresServerUrl: string;
  /** The Temporal Web UI, when started. */
  uiUrl: string | undefined;
  /** Prometheus endpoints of the Temporal services. */
  metricsUrls: Record<TemporalService, string>;
  temporal: Record<TemporalService, ClusterProcess>;
  /** Every process by name: `temporal-history`, `worker-1`, `api-2`, … */
  processes: Map<string, ClusterProcess>;
  /** Stops every process, then PostgreSQL. */
  stop(): Promise<void>;
}

export interface Cluster extends TemporalCluster {
  apiUrls: [string, string];
  workers: [ClusterProcess, ClusterProcess];
  apis: [ClusterProcess, ClusterProcess];
  /**
   * A rolling deploy: each worker in turn is stopped (SIGTERM: it finishes its tasks) and started
   * again on the bundle at `path`, ready before the next one goes.
   */
  deployWorkflowBundle(path: string): Promise<void>;
  /** Stops the apps, then Temporal's services, then PostgreSQL. */
  stop(): Promise<void>;
}

/** Runs `what`, naming it in a failure. */
async function stepOf<T>(what: string, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) throw new Error(`stopped before ${what}`);
  try {
    return await unlessAborted(run(), signal, what);
  } catch (error) {
    throw new Error(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * PostgreSQL and the Temporal server's four services with the namespace, its search attributes,
 * the Schedules and (when `uiPort` is given) the Web UI: the topology without the service's own
 * processes, for a benchmark that runs its worker and API in its own process.
 */
export async function startTemporalCluster(options: TemporalClusterOptions): Promise<TemporalCluster> {
  const { log, signal, temporalPorts: ports } = options;
  const namespace = options.namespace ?? 'default';
  await mkdir(options.logDir, { recursive: true });
  const binaries = await stepOf('building the Temporal server', () => ensureTemporalServer(log), signal);
  log(`Temporal server: ${binaries.server} [${binaries.source}]`);

  const temporalAddress = `127.0.0.1:${ports.grpc.frontend}`;
  const started: { what: string; stop: () => Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    const failures: string[] = [];
    for (const { what, stop } of started.splice(0).reverse())
      await stop().catch((error: unknown) => failures.push(`stopping ${what}: ${(error as Error).message}`));
    if (failures.length) throw new Error(failures.join('\n'));
  };

  const processes = new Map<string, ClusterProcess>();
  try {
    // PostgreSQL for Temporal and the application, migrated and seeded. The frontend's address is
    // known ahead: the stack only records it.
    const stack: LocalStack = await startLocalStack({
      postgres: {
        cluster: options.postgres.cluster,
        throwaway: options.postgres.throwaway,
        port: options.postgres.port,
        database: 'jiesu',
      },
      temporal: { address: temporalAddress },
      log,
      signal,
    });
    started.push({ what: 'PostgreSQL', stop: () => stack.stop() });

    const pgUrl = new URL(stack.postgresServerUrl);
    const serverEnv = temporalServerEnv({
      postgres: {
        host: pgUrl.hostname,
        port: Number(pgUrl.port),
        user: decodeURIComponent(pgUrl.username),
        password: decodeURIComponent(pgUrl.password),
      },
      ports,
      shards: options.shards,
    });
    const schema = await stepOf(
      'setting up the Temporal schema',
      () => setupTemporalSchema(binaries.sqlTool, serverEnv),
      signal,
    );
    log(schema);

    // Ctrl-C while starting: every supervisor is told at once, so none restarts a child the
    // terminal's signal already ended; the step under way then fails and the rest is stopped.
    const stopProcesses = () => Promise.all([...processes.values()].map((p) => p.stop())).then(() => undefined);
    const onAbort = () => void stopProcesses();
    signal?.addEventListener('abort', onAbort, { once: true });
    const temporal = Object.fromEntries(
      TEMPORAL_SERVICES.map((service) => {
        const name = `temporal-${service}`;
        const process = new ClusterProcess(
          name,
          () => temporalServiceCommand(binaries.server, service, serverEnv, ports),
          // The worker service serves no gRPC: it is ready once it listens for its ring. Generous:
          // on a loaded 2-core machine a service can take a minute to join.
          () =>
            waitForPort(
              service === 'worker' ? ports.membership.worker : ports.grpc[service],
              `the Temporal ${service} service`,
              180_000,
            ),
          join(options.logDir, `${name}.log`),
          log,
        );
        processes.set(name, process);
        return [service, process];
      }),
    ) as Record<TemporalService, ClusterProcess>;
    const startService = async (service: TemporalService): Promise<void> => {
      await stepOf(`starting the Temporal ${service} service`, () => temporal[service].start(), signal);
      started.push({ what: `the Temporal ${service} service`, stop: () => temporal[service].stop() });
      log(`Temporal ${service} service ready (pid ${temporal[service].pid})`);
    };
    // One at a time, history first: on fresh databases the first service to start writes the
    // cluster's metadata, and a second one starting at the same moment loses that race and exits.
    // The worker service needs the frontend.
    await startService('history');
    await startService('matching');
    await startService('frontend');
    await stepOf('waiting for the Temporal frontend', () => waitForFrontend(temporalAddress), signal);
    await startService('worker');

    await stepOf(
      'registering the namespace and the search attributes',
      async () => {
        const connection = await Connection.connect({ address: temporalAddress });
        try {
          log(describePrepared(namespace, await prepareNamespace(connection, namespace)));
        } finally {
          await connection.close();
        }
      },
      signal,
    );
    const probe = SEARCH_ATTRIBUTES.map((key) => `${key.name} IS NULL`).join(' AND ');
    await stepOf('waiting for the namespace', () => waitForNamespace(temporalAddress, namespace, probe), signal);
    log(`namespace ${namespace} serves queries on every search attribute`);
    // As the compose set-up does: the month's rankings are frozen on the 1st at 00:30 Beijing time,
    // closed appeals past PERSONAL_DATA_RETENTION_DAYS anonymised every day at 03:00.
    log(
      await stepOf(
        'creating the schedules',
        () => ensureSchedulesAt(temporalAddress, namespace, TASK_QUEUE, { retentionDays: loadRetentionDays() }),
        signal,
      ),
    );

    let uiUrl: string | undefined;
    if (options.uiPort) {
      const uiPort = options.uiPort;
      // The UI is a convenience: the cluster runs without it, and says why.
      const binary = await ensureTemporalUi(log).catch((error: Error) => {
        log(`no Temporal Web UI: ${error.message}`);
        return undefined;
      });
      if (binary) {
        const command = await temporalUiCommand(binary, {
          port: uiPort,
          temporalAddress,
          namespace,
          dir: join(options.logDir, '..', 'ui'),
          ...(options.uiCodecEndpoint ? { codecEndpoint: options.uiCodecEndpoint } : {}),
        });
        const ui = new ClusterProcess(
          'temporal-ui',
          () => command,
          () => waitForPort(uiPort, 'the Temporal Web UI'),
          join(options.logDir, 'temporal-ui.log'),
          log,
        );
        processes.set(ui.name, ui);
        await stepOf('starting the Temporal Web UI', () => ui.start(), signal);
        started.push({ what: 'the Temporal Web UI', stop: () => ui.stop() });
        uiUrl = `http://127.0.0.1:${uiPort}`;
        log(`Temporal Web UI ready (pid ${ui.pid})`);
      }
    }

    return {
      binaries,
      temporalAddress,
      namespace,
      databaseUrl: stack.databaseUrl,
      postgresServerUrl: stack.postgresServerUrl,
      uiUrl,
      metricsUrls: Object.fromEntries(
        TEMPORAL_SERVICES.map((service) => [service, `http://127.0.0.1:${ports.metrics[service]}/metrics`]),
      ) as Record<TemporalService, string>,
      temporal,
      processes,
      stop: async () => {
        // Every process at once, whatever state a drill left it in (a terminal's Ctrl-C has
        // signalled them all already: no supervisor may restart one), then PostgreSQL.
        signal?.removeEventListener('abort', onAbort);
        started.splice(1);
        await stopProcesses();
        await stopAll();
      },
    };
  } catch (error) {
    // A service in a crash loop makes a later step fail: its own words say why.
    const crashes = [...processes.values()]
      .filter((p) => p.restarts > 0)
      .map(
        (p) => `${p.name} restarted ${p.restarts} times; last: ${lastFailure(p.logTail(40)) ?? '(no failure logged)'}`,
      );
    const unstopped = await stopAll().then(
      () => undefined,
      (e: Error) => e,
    );
    const message = [(error as Error).message, ...crashes, ...(unstopped ? [unstopped.message] : [])].join('\n');
    throw message === (error as Error).message ? error : new Error(message, { cause: error });
  }
}

/**
 * The whole topology: `startTemporalCluster`, then two worker processes and two API processes,
 * supervised like the Temporal services. A failure while starting them stops everything.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { log, signal } = options;
  const base = await startTemporalCluster(options);
  const { processes, temporalAddress, namespace } = base;
  try {
    const appEnv: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: base.databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: namespace,
      WORKFLOW_BUNDLE_PATH: options.workflowBundlePath,
      LOG_FORMAT: 'json',
      ...options.appEnv,
    };
    // Read at every start, so a worker started again loads the bundle deployed last.
    let workflowBundlePath = options.workflowBundlePath;
    const node = (script: string, env: NodeJS.ProcessEnv) => () => ({
      command: process.execPath,
      args: ['--import', 'tsx', script],
      env: { ...env, WORKFLOW_BUNDLE_PATH: workflowBundlePath },
    });
    const workers = ([1, 2] as const).map((i) => {
      const name = `worker-${i}`;
      const logFile = join(options.logDir, `${name}.log`);
      // Named in pg_stat_activity, so an operator (or a drill) sees which worker holds a connection.
      const databaseUrl = new URL(base.databaseUrl);
      databaseUrl.searchParams.set('application_name', `jiesu-${name}`);
      const worker = new ClusterProcess(
        name,
        node('worker/main.ts', { ...appEnv, DATABASE_URL: databaseUrl.toString() }),
        (since) => waitForLine(logFile, since, '"worker started"', name),
        logFile,
        log,
      );
      processes.set(name, worker);
      return worker;
    }) as [ClusterProcess, ClusterProcess];
    const apis = options.apiPorts.map((port, i) => {
      const name = `api-${i + 1}`;
      const api = new ClusterProcess(
        name,
        node('api/server.ts', { ...appEnv, PORT: String(port) }),
        () => waitForHealth(`http://127.0.0.1:${port}/health/ready`),
        join(options.logDir, `${name}.log`),
        log,
      );
      processes.set(name, api);
      return api;
    }) as [ClusterProcess, ClusterProcess];
    for (const app of [...workers, ...apis]) {
      await stepOf(`starting ${app.name}`, () => app.start(), signal);
      log(`${app.name} ready (pid ${app.pid})`);
    }

    return {
      ...base,
      apiUrls: options.apiPorts.map((port) => `http://127.0.0.1:${port}`) as [string, string],
      workers,
      apis,
      deployWorkflowBundle: async (path) => {
        workflowBundlePath = path;
        for (const worker of workers) {
          log(`${worker.name}: restarting onto ${path}`);
          await worker.stop();
          await worker.start();
          log(`${worker.name} ready (pid ${worker.pid})`);
        }
      },
    };
  } catch (error) {
    const unstopped = await base.stop().then(
      () => undefined,
      (e: Error) => e,
    );
    if (unstopped) throw new Error(`${(error as Error).message}\n${unstopped.message}`, { cause: error });
    throw error;
  }
}
