/**
 * The Temporal SDK runtime of the worker process, installed once: the SDK's logs (including
 * `log` in workflows and activities, and the native core's) go to pino, and its metrics to a
 * Prometheus endpoint when `WORKER_METRICS_ADDRESS` is set.
 */
import type { Logger } from 'pino';
import { DefaultLogger, Runtime, type LogLevel, type RuntimeOptions } from '@temporalio/worker';

const SDK_LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let installed = false;

/**
 * The runtime's telemetry, shared by the worker process and the benchmark's runtime: the native
 * core's own messages forwarded to the runtime's logger (not straight to stderr), and with an
 * address the Prometheus endpoint (task queue polls, task latencies, the workflow cache,
 * activity outcomes: `GET /metrics`), its counters named with `_total`.
 */
export function workerTelemetry(metricsAddress?: string): NonNullable<RuntimeOptions['telemetryOptions']> {
  return {
    logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
    ...(metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true } } } : {}),
  };
}

export function installRuntime(log: Logger, options: { metricsAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      log[SDK_LEVELS[entry.level]]({ ...entry.meta }, entry.message);
    }),
    telemetryOptions: workerTelemetry(options.metricsAddress),
  });
}
