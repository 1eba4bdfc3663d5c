import pino, { type Logger } from 'pino';

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
