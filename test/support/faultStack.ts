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
import { ROOT } from '../../scripts/lib/paths.js';
import { startLocalStack, type LocalServer, type LocalStack } from '../../scripts/lib/localStack.js';
import { terminate } from '../../scripts/lib/supervise.js';
import { API_KEYS_JSON, TEST_KEYS, until, type Caller } from './api.js';
import type { TestDatabase } from './database.js';
import { FAULTS_PG_PREFIX } from './faultsSetup.js';

/** The drill's embedded PostgreSQL, which it can stop and start again on the same files. */
export class DrillPostgres {
  /** The drill's own connection pool (for its assertions), beside the worker's and the API's. */
  readonly handle: DbHandle;

  constructor(
    readonly url: string,
    private readonly server: LocalServer,
  ) {
    this.handle = createDb(url, { max: 4 });
  }

  /** Starts the server on its port and data directory (after `down()`). */
  up(): Promise<void> {
    return this.server.start();
  }

  /** Stops the server (a fast shutdown: open transactions roll back, connections are cut). */
  down(): Promise<void> {
    return this.server.stop();
  }

  /** The shape the test helpers (e.g. `addFastPolicy`) take. */
  asTestDatabase(): TestDatabase {
    return { ...this.handle, url: this.url, drop: async () => undefined };
  }
}

/** The drill's Temporal CLI dev server on a SQLite file of its own; `stop()` and `start()` keep its cases. */
export class DrillTemporal {
  constructor(
    readonly address: string,
    private readonly server: LocalServer,
  ) {}

  start(): Promise<void> {
    return this.server.start();
  }

  /** SIGTERM, then SIGKILL after a grace period: the frontend is gone when this resolves. */
  stop(): Promise<void> {
    return this.server.stop();
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
    await terminate(this.child);
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
    private readonly local: LocalStack,
    /** Holds the dev server's SQLite file. */
    private readonly dir: string,
    readonly pg: DrillPostgres,
    readonly temporal: DrillTemporal,
  ) {}

  static async start(options: DrillStackOptions = {}): Promise<DrillStack> {
    const dir = await mkdtemp(join(tmpdir(), 'jiesu-faults-'));
    let local: LocalStack;
    try {
      local = await startLocalStack({
        postgres: { cluster: FAULTS_PG_PREFIX, throwaway: true, database: 'jiesu' },
        temporal: { cliPath: inject('faultsTemporalCli'), dbFile: join(dir, 'temporal.sqlite') },
      });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const stack = new DrillStack(
      local,
      dir,
      new DrillPostgres(local.databaseUrl, local.postgres!),
      new DrillTemporal(local.temporalAddress, local.temporal!),
    );
    try {
      await options.prepare?.(stack.pg);
      await stack.startWorker();
      stack.app = await buildServer(
        loadApiConfig({
          DATABASE_URL: stack.pg.url,
          TEMPORAL_ADDRESS: stack.temporal.address,
          TEMPORAL_TASK_QUEUE: stack.taskQueue,
          WORKFLOW_TIMEOUT_MS: String(options.workflowTimeoutMs ?? 30_000),
          API_KEYS: API_KEYS_JSON,
          NODE_ENV: 'test',
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
        }),
      );
      await stack.app.ready();
      stack.connection = await Connection.connect({ address: stack.temporal.address });
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
    await quietly(this.pg.handle.close());
    await quietly(this.local.stop());
    await quietly(rm(this.dir, { recursive: true, force: true }));
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
