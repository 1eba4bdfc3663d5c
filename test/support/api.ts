import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Logger } from 'pino';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createWorker } from '../../worker/createWorker.js';
import { connectDevServer, workflowBundle } from './temporal.js';
import type { TestDatabase } from './database.js';
import { testLogger } from './logger.js';
import { buildServer, type ServerOptions } from '../../api/buildServer.js';
import { loadApiConfig } from '../../api/config.js';
import { API_KEYS_JSON, TEST_KEYS, type Caller } from './keys.js';

export { API_KEYS_JSON, TEST_KEYS, type Caller } from './keys.js';

async function buildTestApi(env: Record<string, string>, options: ServerOptions = {}): Promise<FastifyInstance> {
  const config = loadApiConfig({ API_KEYS: API_KEYS_JSON, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', ...env });
  return buildServer(config, options);
}

/** `app.inject` as one caller. */
export function as(app: FastifyInstance, caller: Caller | undefined) {
  return (options: InjectOptions) =>
    app.inject({
      ...options,
      headers: { ...(caller ? { authorization: `Bearer ${TEST_KEYS[caller].key}` } : {}), ...options.headers },
    });
}

/** The center dispatches an appeal as its triage decision (the answer is the caller's to check). */
export const dispatchAsCenter = (app: FastifyInstance, appealId: string) =>
  as(app, 'center')({ method: 'POST', url: `/v1/appeals/${appealId}/triage`, payload: { disposition: 'dispatch' } });

/** The API as integrations use it, on the dev server with a worker of its own task queue. */
export interface ApiWorld {
  env: TestWorkflowEnvironment;
  app: FastifyInstance;
  taskQueue: string;
  /** Another API instance on the same servers (e.g. one that logs, or one pointed elsewhere). */
  buildApi(env?: Record<string, string>, options?: ServerOptions): Promise<FastifyInstance>;
  close(): Promise<void>;
}

/** `log`: the worker's logger (its activities' lines), e.g. one that captures them. */
export async function startApiWorld(
  database: TestDatabase,
  taskQueue: string,
  options: { log?: Logger } = {},
): Promise<ApiWorld> {
  const env = await connectDevServer();
  const worker: Worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue,
    db: database.db,
    log: options.log ?? testLogger,
    workflowBundle: workflowBundle(),
  });
  const running = worker.run();
  const buildApi = (extra: Record<string, string> = {}, options: ServerOptions = {}) =>
    buildTestApi(
      {
        DATABASE_URL: database.url,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: taskQueue,
        ...extra,
      },
      options,
    );
  const app = await buildApi();
  return {
    env,
    app,
    taskQueue,
    buildApi,
    async close() {
      await app.close();
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

export { waterOutage } from '../../scripts/lib/sampleAppeals.js';

/** Polls `probe` until `ok` holds or the time is up; returns the last value (the caller asserts on it). */
export async function until<T>(probe: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}
