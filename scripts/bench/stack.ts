/**
 * The benchmark's own stack, on free ports: Temporal (an in-memory dev server, or the real
 * server's cluster: scripts/bench/topology.ts), PostgreSQL (embedded and this run's own, or
 * DATABASE_URL's with the dev server), one worker in this process and the API listening on 127.0.0.1. Nothing is shared with `npm run dev` or a test run.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildServer } from '../../api/buildServer.js';
import { loadApiConfig } from '../../api/config.js';
import { hashApiKey, type Role } from '../../api/plugins/auth.js';
import { createDb, type DbHandle } from '../../db/client.js';
import { TASK_QUEUE } from '../../workflows/appeal/definitions.js';
import { createWorker } from '../../worker/createWorker.js';
import { workerTelemetry } from '../../worker/runtime.js';
import { freePort } from '../lib/ports.js';
import { say } from './log.js';
import { FLOOR_TASK_QUEUE } from './floor/workflows.js';
import { floorActivities } from './floor/activities.js';
import { startBenchTemporal, type DevStore, type Topology } from './topology.js';

/** The lead unit the catalogue dispatches the benchmark's appeals to (utilities.water.outage). */
export const BENCH_LEAD_UNIT = 'beijing-water';

const NAMESPACE = 'default';

export interface BenchStack {
  apiUrl: string;
  /** Raw API keys by role, generated for this run only. */
  keys: Record<'intake' | 'center' | 'supervisor' | 'unit', string>;
  client: Client;
  /** The benchmark's own pool (record polling, the direct list query), apart from the API's and the worker's. */
  db: DbHandle;
  worker: Worker;
  temporalAddress: string;
  databaseUrl: string;
  /** The Temporal server measured against, in words. */
  temporalServer: string;
  /** The worker's Prometheus metrics (its cache, slots and task latencies), on a free port. */
  workerMetricsUrl: string;
}

/** Stop functions of whatever has started so far, run in reverse order. */
export class Stoppers {
  private readonly stops: { what: string; stop: () => Promise<void>; limitMs?: number }[] = [];
  stopping = false;
  /** `limitMs`: this one's own bound, instead of stopAll's. */
  add(what: string, stop: () => Promise<void>, limitMs?: number): void {
    this.stops.push({ what, stop, limitMs });
  }
  /**
   * Each stop gets a bounded wait: after a terminal's Ctrl-C the dev server may be gone
   * already, and a worker would retry its last completions against it for a long time.
   */
  async stopAll(limitMs = 5_000): Promise<void> {
    this.stopping = true;
    let gaveUp = false;
    for (const { what, stop, limitMs: own } of this.stops.splice(0).reverse()) {
      const bound = own ?? limitMs;
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          say(`stopping ${what}: gave up after ${bound / 1000} s`);
          gaveUp = true;
          resolve();
        }, bound);
      });
      // After one part gave up, the next ones' complaints about it are no news.
      const stopped = stop().catch((error: unknown) => gaveUp || say(`stopping ${what}: ${String(error)}`));
      await Promise.race([stopped, limit]);
      clearTimeout(timer);
    }
  }
}

export async function startBenchStack(
  stoppers: Stoppers,
  options: { maxCachedWorkflows?: number; topology?: Exclude<Topology, 'both'>; devStore?: DevStore } = {},
): Promise<BenchStack> {
  // Before any native connection; the benchmark stops the worker itself on Ctrl-C.
  const metricsPort = await freePort();
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      // While stopping, the worker's complaints about servers going away are expected noise.
      if (stoppers.stopping) return;
      const meta = entry.meta as { activityType?: string; workflowType?: string; error?: unknown } | undefined;
      const about = meta?.activityType ?? meta?.workflowType;
      const error = meta?.error instanceof Error ? `: ${meta.error.message.split('\n')[0]}` : '';
      say(`worker ${entry.level.toLowerCase()}: ${entry.message}${about ? ` (${about})` : ''}${error}`);
    }),
    // The worker process's telemetry, so the storms read the metrics a deployed worker serves.
    telemetryOptions: workerTelemetry(`127.0.0.1:${metricsPort}`),
    shutdownSignals: [],
  });

  const startup = new AbortController();
  const starting = startBenchTemporal(options.topology ?? 'dev', {
    namespace: NAMESPACE,
    devStore: options.devStore ?? 'memory',
    log: say,
    signal: startup.signal,
  });
  // Ctrl-C while starting stops what has started; the servers get one bound for all.
  stoppers.add(
    'PostgreSQL and Temporal',
    async () => {
      startup.abort();
      const started = await starting.catch(() => undefined);
      await started?.stop().catch((error: Error) => say(error.message));
    },
    options.topology === 'cluster' ? 30_000 : 10_000,
  );
  const { databaseUrl, temporalAddress, describe } = await starting;

  const connection = await Connection.connect({ address: temporalAddress });
  stoppers.add('Temporal client', () => connection.close());
  const client = new Client({ connection, namespace: NAMESPACE });

  const workerDb = createDb(databaseUrl);
  stoppers.add('worker database pool', () => workerDb.close());
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  stoppers.add('worker connection', () => nativeConnection.close());
  say('creating the worker (bundles the workflows, a few seconds)');
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: NAMESPACE,
    taskQueue: TASK_QUEUE,
    db: workerDb.db,
    log: pino({ level: 'silent' }),
    ...(options.maxCachedWorkflows ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
  });
  const running = worker.run();
  stoppers.add('worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  say(`worker running on task queue ${TASK_QUEUE} (maxCachedWorkflows ${worker.options.maxCachedWorkflows})`);

  // The floors' worker: same process, same connection, its own task queue.
  const floorWorker = await Worker.create({
    connection: nativeConnection,
    namespace: NAMESPACE,
    taskQueue: FLOOR_TASK_QUEUE,
    workflowsPath: new URL('./floor/workflows.ts', import.meta.url).pathname,
    activities: floorActivities,
  });
  const floorRunning = floorWorker.run();
  stoppers.add('floor worker', async () => {
    if (floorWorker.getState() === 'RUNNING') floorWorker.shutdown();
    await floorRunning;
  });

  const keys = {
    intake: `bench-intake-${randomBytes(12).toString('hex')}`,
    center: `bench-center-${randomBytes(12).toString('hex')}`,
    supervisor: `bench-supervisor-${randomBytes(12).toString('hex')}`,
    unit: `bench-unit-${randomBytes(12).toString('hex')}`,
  };
  const config = loadApiConfig({
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: NAMESPACE,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    HOST: '127.0.0.1',
    PORT: '0',
    NODE_ENV: 'production',
    REQUESTER_TOKEN_SECRET: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    API_KEYS: JSON.stringify(
      Object.entries(keys).map(([role, key]) => ({
        name: `bench-${role}`,
        role: role as Role,
        ...(role === 'unit' ? { unitId: BENCH_LEAD_UNIT } : {}),
        keyHash: hashApiKey(key),
      })),
    ),
  });
  const app: FastifyInstance = await buildServer(config);
  stoppers.add('API', () => app.close());
  await app.listen({ host: config.HOST, port: config.PORT });
  const apiUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  say(`API listening on ${apiUrl}`);

  const db = createDb(databaseUrl);
  stoppers.add('benchmark database pool', () => db.close());
  return {
    apiUrl,
    keys,
    client,
    db,
    worker,
    temporalAddress,
    databaseUrl,
    temporalServer: describe,
    workerMetricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
  };
}
