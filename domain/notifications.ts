/**
 * How long the service keeps trying to deliver a notification, in one place: the workflow's
 * activity options and the activity (which dead-letters on the last attempt) both read it.
 */
import type { ActivityOptions } from '@temporalio/common';

/**
 * Attempts of one webhook delivery. With the backoff below the last attempt starts about 14
 * minutes after the first; then the delivery is dead-lettered and the case goes on.
 */
export const WEBHOOK_MAX_ATTEMPTS = 10;

/** Activity options of `notify`. The request timeout of the activity stays well inside `startToCloseTimeout`. */
export const NOTIFY_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: WEBHOOK_MAX_ATTEMPTS,
  },
} as const satisfies ActivityOptions;
