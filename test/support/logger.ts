import pino from 'pino';

/** Logs of code under test stay out of the test output unless LOG_LEVEL asks for them. */
export const testLogger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

/** A logger at every level whose lines the test can read (to check what never appears in logs). */
export function capturingLogger(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}
