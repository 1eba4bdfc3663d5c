/**
 * The Temporal SDK runtime of the worker process, installed once: the SDK's logs (including
 * `log` in workflows and activities, and the native core's) go to pino, and its metrics to a
 * Prometheus endpoint when `WORKER_METRICS_ADDRESS` is set.
 */
import type { Logger } from 'pino';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const SDK_LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let installed = false;

export function installRuntime(log: Logger, options: { metricsAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      log[SDK_LEVELS[entry.level]]({ ...entry.meta }, entry.message);
    }),
    telemetryOptions: {
      // The native core's own messages go through pino too (as JSON lines), not straight to stderr.
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      // Task queue polls, task latencies, the workflow cache, activity outcomes: `GET /metrics`.
      ...(options.metricsAddress
        ? { metrics: { prometheus: { bindAddress: options.metricsAddress, countersTotalSuffix: true } } }
        : {}),
    },
  });
}
