/** The worker process: `npm run worker` (also started by `npm run dev` and in compose). */
import { NativeConnection } from '@temporalio/worker';
import { createDb } from '../db/client.js';
import { loadWorkerConfig } from './config.js';
import { createLogger } from '../platform/logger.js';
import { installRuntime } from './runtime.js';
import { createWorker } from './createWorker.js';
import { loadOrExit } from '../platform/env.js';
import { payloadCodecFromConfig } from '../platform/payloadCodec.js';

const config = loadOrExit(() => loadWorkerConfig());
const log = createLogger(config.LOG_LEVEL, 'worker', config.LOG_FORMAT);
installRuntime(log, { metricsAddress: config.WORKER_METRICS_ADDRESS });

const database = createDb(config.DATABASE_URL);
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const payloadCodec = payloadCodecFromConfig(config);
const worker = await createWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  db: database.db,
  log,
  webhookTimeoutMs: config.WEBHOOK_TIMEOUT_MS,
  ...(payloadCodec ? { payloadCodec } : {}),
  ...(config.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } } : {}),
});
log.info(
  {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    address: config.TEMPORAL_ADDRESS,
    payloadsEncrypted: payloadCodec !== undefined,
  },
  'worker started',
);
// run() resolves after SIGINT/SIGTERM (the SDK installs the handlers) and in-flight tasks finish.
await worker.run();
await connection.close();
await database.close();
log.info('worker stopped');
