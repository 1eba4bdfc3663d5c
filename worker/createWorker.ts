import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import { createActivities } from '../activities/index.js';
import type { Database } from '../db/client.js';
import { dataConverterOf } from '../platform/payloadCodec.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';

export const WORKFLOWS_PATH = new URL('../workflows/index.ts', import.meta.url).pathname;

export interface WorkerDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  db: Database;
  log: Logger;
  /** A pre-built bundle (tests bundle once); otherwise the worker bundles `workflows/` itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** How long one webhook request may take (`WEBHOOK_TIMEOUT_MS`). */
  webhookTimeoutMs?: number;
  /** Workflows kept in memory between tasks; the SDK's default (by heap size) when unset. */
  maxCachedWorkflows?: number;
  /** Encrypts what the worker writes to history and decrypts what it reads (PAYLOAD_KEYS); plain when unset. */
  payloadCodec?: PayloadCodec;
}

/** The worker as production and the tests build it: same workflows, same activities. */
export function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace ?? 'default',
    taskQueue: deps.taskQueue ?? TASK_QUEUE,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...(deps.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: deps.maxCachedWorkflows } : {}),
    ...dataConverterOf(deps.payloadCodec),
    activities: createActivities({
      db: deps.db,
      log: deps.log,
      ...(deps.webhookTimeoutMs ? { webhookTimeoutMs: deps.webhookTimeoutMs } : {}),
    }),
  });
}
