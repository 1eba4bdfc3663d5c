import pino, { type Logger } from 'pino';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

/** Requester names and phone numbers never reach a log line, wherever they are nested. */
export const REDACT_PATHS = [
  '*.requester',
  '*.requesterName',
  '*.requesterPhone',
  'requester',
  'requesterName',
  'requesterPhone',
  '*.*.requester',
];

export type LogFormat = 'json' | 'pretty';

/** `pretty`: human-readable lines for a terminal (`npm run dev`); `json`: one JSON object per line. */
export const prettyTransport = {
  target: 'pino-pretty',
  options: { colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' },
};

export function createLogger(level: string, name: string, format: LogFormat = 'json'): Logger {
  return pino({
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[masked]' },
    ...(format === 'pretty' ? { transport: prettyTransport } : {}),
  });
}

const SDK_LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let installed = false;
/** Routes the SDK's logs (including `log` in workflows and activities) to pino, once per process. */
export function routeSdkLogsTo(log: Logger): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      log[SDK_LEVELS[entry.level]]({ ...entry.meta }, entry.message);
    }),
    // The native core's own messages go through pino too (as JSON lines), not straight to stderr.
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
}
