import { loadEnv, Type } from '../platform/env.js';
import { checkPayloadKeys, PayloadCodecEnv } from '../platform/payloadCodec.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { DEFAULT_RETENTION_DAYS } from '../workflows/privacy/definitions.js';

const RetentionEnv = {
  /**
   * Days a closed appeal keeps the requester's contact, its content and address before the daily
   * Schedule `personal-data-anonymisation` erases them (the Schedule's argument, set at start-up).
   */
  PERSONAL_DATA_RETENTION_DAYS: Type.Integer({ default: DEFAULT_RETENTION_DAYS, minimum: 1, maximum: 36_500 }),
};

const WorkerEnv = Type.Object({
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  TEMPORAL_ADDRESS: Type.String({ default: '127.0.0.1:7233', pattern: '^[^:]+:\\d+$' }),
  TEMPORAL_NAMESPACE: Type.String({ default: 'default', minLength: 1 }),
  TEMPORAL_TASK_QUEUE: Type.String({ default: TASK_QUEUE, minLength: 1 }),
  /** A workflow bundle built by `npm run build:workflows`; unset: the worker bundles `workflows/` at start. */
  WORKFLOW_BUNDLE_PATH: Type.Optional(Type.String({ minLength: 1 })),
  /** `host:port` for the worker's Prometheus metrics (`/metrics`); unset: none. */
  WORKER_METRICS_ADDRESS: Type.Optional(Type.String({ pattern: '^[^:]+:\\d+$' })),
  /** One webhook request to a unit system may take this long before it counts as failed. */
  WEBHOOK_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 25_000 }),
  ...RetentionEnv,
  /** Payload encryption keys (see platform/payloadCodec.ts). */
  ...PayloadCodecEnv,
  /** `pretty` for a terminal (what `npm run dev` uses there), `json` otherwise. */
  LOG_FORMAT: Type.Union([Type.Literal('json'), Type.Literal('pretty')], { default: 'json' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;
export const loadWorkerConfig = (env: NodeJS.ProcessEnv = process.env) => checkPayloadKeys(loadEnv(WorkerEnv, env));

/** The retention alone, for a start-up that creates the Schedules without a worker's whole configuration. */
export const loadRetentionDays = (env: NodeJS.ProcessEnv = process.env): number =>
  loadEnv(Type.Object(RetentionEnv), env).PERSONAL_DATA_RETENTION_DAYS;
