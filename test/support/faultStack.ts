/**
 * The real parts one fault drill starts for itself, each on free ports so that a running
 * `npm run dev` is never touched: an embedded PostgreSQL (migrated and seeded), a Temporal CLI
 * dev server on a SQLite file of its own (so it can be stopped and restarted with its open
 * cases), the worker as a child process (`worker/main.ts`, as production runs it) and the API
 * in-process. A drill stops, kills and restarts them; `close()` removes whatever is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Client, Connection } from '@temporalio/client';
import { expect, inject } from 'vitest';
import { buildServer } from '../../api/buildServer.js';
import { loadApiConfig } from '../../api/config.js';
import { createDb, type DbHandle } from '../../db/client.js';
import { ROOT, STATE_DIR } from '../../scripts/lib/paths.js';
import { freePort } from '../../scripts/lib/ports.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../scripts/lib/postgres.js';
import { migrateAndSeed } from '../../scripts/lib/localStack.js';
import { startTemporalDevServer, stopProcess, type DevServer } from '../../scripts/lib/temporalDevServer.js';
import { API_KEYS_JSON, TEST_KEYS, until, type Caller } from './api.js';
import type { TestDatabase } from './database.js';
import { FAULTS_PG_PREFIX } from './faultsSetup.js';

/** An embedded PostgreSQL of the drill's own that it can stop and start again on the same files. */
export class DrillPostgres {
  private server?: EmbeddedPostgresHandle;
  /** The drill's own connection pool (for its assertions), beside the worker's and the API's. */
  handle!: DbHandle;
  url = '';
  private files: string;

  private constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {
    this.files = dataDir;
  }

  static async start(): Promise<DrillPostgres> {
    const dataDir = join(STATE_DIR, 'pg', `${FAULTS_PG_PREFIX}-${process.pid}`);
    await rm(dataDir, { recursive: true, force: true });
    const pg = new DrillPostgres(dataDir, await freePort());
    try {
      await pg.up();
      pg.url = await ensureDatabase(pg.server!.serverUrl, 'jiesu');
      await migrateAndSeed(pg.url);
      pg.handle = createDb(pg.url, { max: 4 });
      return pg;
    } catch (error) {
      await pg.remove().catch(() => undefined);
      throw error;
    }
  }

  /** Starts the server on its port and data directory (after `down()`). */
  async up(): Promise<void> {
    if (this.server) return;
    this.server = await startEmbeddedPostgres({ dataDir: this.dataDir, port: this.port });
    // Where the cluster's files really are, when the helper keeps them elsewhere than asked.
    this.files = (this.server as { dataDir?: string }).dataDir ?? this.dataDir;
  }

  /** Stops the server (a fast shutdown: open transactions roll back, connections are cut). */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  /** The shape the test helpers (e.g. `addFastPolicy`) take. */
  asTestDatabase(): TestDatabase {
    return { ...this.handle, url: this.url, drop: async () => undefined };
  }

  async remove(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    await this.down();
    await rm(this.files, { recursive: true, force: true });
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** A Temporal CLI dev server on a SQLite file of the drill's own; `stop()` and `start()` keep its cases. */
export class DrillTemporal {
  private server?: DevServer;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<DrillTemporal> {
    const temporal = new DrillTemporal(await mkdtemp(join(tmpdir(), 'jiesu-faults-')), await freePort());
    try {
      await temporal.start();
      return temporal;
    } catch (error) {
      await temporal.remove().catch(() => undefined);
      throw error;
    }
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get dbFile(): string {
    return join(this.dir, 'temporal.sqlite');
  }

  async start(): Promise<void> {
    if (this.server) return;
    this.server = await startTemporalDevServer({
      cliPath: inject('faultsTemporalCli'),
      port: this.port,
      dbFile: this.dbFile,
    });
  }

  /** SIGTERM, then SIGKILL after a grace period: the frontend is gone when this resolves. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** `worker/main.ts` as its own process, on the prebuilt bundle; its output is kept for failure messages. */
export class WorkerProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => this.keep(chunk));
    child.stderr!.on('data', (chunk: Buffer) => this.keep(chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  private keep(chunk: Buffer): void {
    this.output = (this.output + chunk.toString('utf8')).slice(-200_000);
  }

  static async start(env: { databaseUrl: string; temporalAddress: string; taskQueue: string }): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: env.databaseUrl,
        TEMPORAL_ADDRESS: env.temporalAddress,
        TEMPORAL_TASK_QUEUE: env.taskQueue,
        WORKFLOW_BUNDLE_PATH: inject('faultsWorkflowBundle'),
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(child);
    let gone = false;
    void worker.exited.then(() => (gone = true));
    await until(
      () => worker.output.includes('"worker started"') || gone,
      (ready) => ready,
      45_000,
    );
    if (!worker.output.includes('"worker started"'))
      throw new Error(`the worker did not start:\n${worker.output.slice(-4000)}`);
    return worker;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no shutdown, no in-flight task finished or handed back. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    await stopProcess(this.child);
  }
}

export interface DrillStackOptions {
  /** How long the API waits for a workflow (an action, a query) before its 503. */
  workflowTimeoutMs?: number;
  /** Runs on the database before the worker starts (e.g. policies of a few seconds). */
  prepare?: (pg: DrillPostgres) => Promise<void>;
}

/** Every part of one drill; `close()` stops and removes them whatever state the drill left them in. */
export class DrillStack {
  readonly taskQueue = 'appeals-faults';
  worker!: WorkerProcess;
  app!: FastifyInstance;
  connection!: Connection;
  client!: Client;
  private readonly workers: WorkerProcess[] = [];

  private constructor(
    readonly pg: DrillPostgres,
    readonly temporal: DrillTemporal,
  ) {}

  static async start(options: DrillStackOptions = {}): Promise<DrillStack> {
    const [pgStart, temporalStart] = await Promise.allSettled([DrillPostgres.start(), DrillTemporal.start()]);
    if (pgStart.status === 'rejected' || temporalStart.status === 'rejected') {
      if (pgStart.status === 'fulfilled') await pgStart.value.remove().catch(() => undefined);
      if (temporalStart.status === 'fulfilled') await temporalStart.value.remove().catch(() => undefined);
      throw (pgStart.status === 'rejected' ? pgStart : (temporalStart as PromiseRejectedResult)).reason as Error;
    }
    const pg = pgStart.value;
    const temporal = temporalStart.value;
    const stack = new DrillStack(pg, temporal);
    try {
      await options.prepare?.(pg);
      await stack.startWorker();
      stack.app = await buildServer(
        loadApiConfig({
          DATABASE_URL: pg.url,
          TEMPORAL_ADDRESS: temporal.address,
          TEMPORAL_TASK_QUEUE: stack.taskQueue,
          WORKFLOW_TIMEOUT_MS: String(options.workflowTimeoutMs ?? 30_000),
          API_KEYS: API_KEYS_JSON,
          NODE_ENV: 'test',
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
        }),
      );
      await stack.app.ready();
      stack.connection = await Connection.connect({ address: temporal.address });
      stack.client = new Client({ connection: stack.connection });
      return stack;
    } catch (error) {
      await stack.close();
      throw error;
    }
  }

  /** A new worker process (the previous one, if any, is left as it is). */
  async startWorker(): Promise<WorkerProcess> {
    const worker = await WorkerProcess.start({
      databaseUrl: this.pg.url,
      temporalAddress: this.temporal.address,
      taskQueue: this.taskQueue,
    });
    this.workers.push(worker);
    this.worker = worker;
    return worker;
  }

  /** One request to the API as `caller`, with an Idempotency-Key when given. */
  call(
    caller: Caller,
    method: 'GET' | 'POST',
    url: string,
    payload?: object,
    key?: string,
  ): Promise<LightMyRequestResponse> {
    return this.app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${TEST_KEYS[caller].key}`,
        ...(key ? { 'idempotency-key': key } : {}),
      },
      ...(payload ? { payload } : {}),
    });
  }

  async close(): Promise<void> {
    const quietly = (p: Promise<unknown> | undefined) => p?.catch(() => undefined);
    for (const worker of this.workers) await quietly(worker.kill());
    await quietly(this.app?.close());
    await quietly(this.connection?.close());
    await quietly(this.temporal.remove());
    await quietly(this.pg.remove());
  }

  /** Worker output for a failure message. */
  workerLogs(): string {
    return this.workers.map((w, i) => `--- worker ${i + 1} ---\n${w.output.slice(-3000)}`).join('\n');
  }
}

/** What a client does with a 503: waits briefly and sends the same request (same key) again, until it is answered. */
export async function retryUntilAnswered(
  send: () => Promise<LightMyRequestResponse>,
  deadline: number,
  seen: LightMyRequestResponse[] = [],
): Promise<LightMyRequestResponse> {
  for (;;) {
    const res = await send();
    seen.push(res);
    if (res.statusCode !== 503 || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every 503 the API answered says when to come back. */
export function expect503sCarryRetryAfter(responses: LightMyRequestResponse[]): void {
  for (const res of responses.filter((r) => r.statusCode === 503))
    expect(res.headers['retry-after'], `a 503 without Retry-After: ${res.body}`).toBeDefined();
}

export interface AuditTrail {
  appealId: string;
  lastSeq: number;
  events: { seq: number; stepKey: string; type: string }[];
}

/** The case records and audit trails of `appealIds`, as stored. */
export async function auditTrails(handle: DbHandle, appealIds: string[]): Promise<Map<string, AuditTrail>> {
  const records = await handle.pool.query<{ id: string; last_seq: number }>(
    'select id, last_seq from appeals where id = any($1)',
    [appealIds],
  );
  const events = await handle.pool.query<{ appeal_id: string; seq: number; step_key: string; type: string }>(
    'select appeal_id, seq, step_key, type from audit_events where appeal_id = any($1) order by appeal_id, seq',
    [appealIds],
  );
  const trails = new Map<string, AuditTrail>();
  for (const row of records.rows) trails.set(row.id, { appealId: row.id, lastSeq: row.last_seq, events: [] });
  for (const e of events.rows) trails.get(e.appeal_id)?.events.push({ seq: e.seq, stepKey: e.step_key, type: e.type });
  return trails;
}

/**
 * Each appeal has exactly one case record, and its audit trail has every step once: no step key
 * twice, sequence numbers 1..lastSeq without a gap. Answers the trails for further checks.
 */
export async function expectIntactRecords(handle: DbHandle, appealIds: string[]): Promise<Map<string, AuditTrail>> {
  const counted = await handle.pool.query<{ id: string; n: number }>(
    'select id, count(*)::int as n from appeals where id = any($1) group by id',
    [appealIds],
  );
  expect(counted.rows.length, 'a case record for every appeal').toBe(new Set(appealIds).size);
  const trails = await auditTrails(handle, appealIds);
  for (const id of appealIds) {
    const trail = trails.get(id)!;
    const keys = trail.events.map((e) => e.stepKey);
    expect(new Set(keys).size, `${id}: a step recorded twice: ${keys.join(',')}`).toBe(keys.length);
    expect(
      trail.events.map((e) => e.seq),
      `${id}: audit sequence`,
    ).toEqual(Array.from({ length: trail.lastSeq }, (_, i) => i + 1));
    expect(
      trail.events.filter((e) => e.type === 'intake'),
      `${id}: one intake step`,
    ).toHaveLength(1);
  }
  return trails;
}

/** How many appeal workflows the drill's Temporal server holds (visibility may lag: polled until it holds `expected`). */
export async function countAppealWorkflows(client: Client, expected: number): Promise<number> {
  return until(
    async () => (await client.workflow.count(`WorkflowType = 'appealWorkflow'`)).count,
    (n) => n === expected,
    10_000,
  );
}
