import pino from 'pino';

/** Logs of code under test stay out of the test output unless LOG_LEVEL asks for them. */
export const testLogger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
