import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { createAssessmentActivities } from './assessment/index.js';
import { createMonthlyAssessmentActivities } from './assessment/monthly.js';
import { failOnDataRefusal } from './dataRefusals.js';
import { createDeadlineActivities } from './deadlines/index.js';
import { createDirectoryActivities } from './directory/index.js';
import { createDispatchActivities } from './dispatch/index.js';
import { createIntakeActivities } from './intake.js';
import { createMomentActivities } from './moment.js';
import { createNotificationActivities } from './notifications/index.js';
import { createPrivacyActivities } from './privacy/index.js';
import { createRecordActivities } from './records/index.js';

export interface ActivityDeps {
  db: Database;
  log: Logger;
  /** Per request to a unit system's webhook (default 10 s). */
  webhookTimeoutMs?: number;
}

/**
 * Every activity of the worker, built over injected dependencies (the tests build the same).
 * A write PostgreSQL refuses for its data fails the activity at once, non-retryable
 * (`RecordRejected`), instead of being retried for ever.
 */
export function createActivities(deps: ActivityDeps) {
  const records = createRecordActivities(deps);
  const dispatch = createDispatchActivities(deps);
  const notifications = createNotificationActivities(deps);
  return failOnDataRefusal({
    ...records,
    ...dispatch,
    ...createIntakeActivities({ ...records, ...dispatch, ...notifications }),
    ...createMomentActivities({ ...records, ...notifications }),
    ...createDirectoryActivities(deps),
    ...createDeadlineActivities(deps),
    ...notifications,
    ...createAssessmentActivities(deps),
    ...createMonthlyAssessmentActivities(deps),
    ...createPrivacyActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
