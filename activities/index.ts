import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { createRecordActivities } from './records/index.js';

export interface ActivityDeps {
  db: Database;
  log: Logger;
}

/** Every activity of the worker, built over injected dependencies (the tests build the same). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createRecordActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
