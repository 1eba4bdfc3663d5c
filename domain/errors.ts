/** Business error types, in one place: workflow validators, activities and the API share them. */
import { ApplicationFailure } from '@temporalio/common';

export const ErrorType = {
  /** The action is not allowed in the case's current stage (or sub-matter state). → 409 */
  ActionNotAllowed: 'ActionNotAllowed',
  /** The party may not take this action on this case. → 403 */
  ActionForbidden: 'ActionForbidden',
  /** The action's input is incomplete for the case's situation (e.g. a late report without reason). → 400 */
  InvalidAction: 'InvalidAction',
  UnknownPolicy: 'UnknownPolicy',
  UnknownCategory: 'UnknownCategory',
  /** A unit system's endpoint did not take a webhook delivery (retryable, until dead-lettered). */
  WebhookDeliveryFailed: 'WebhookDeliveryFailed',
  /**
   * PostgreSQL refused an activity's write for its data (SQLSTATE class 22 or 23): retrying
   * cannot cure it, so it is never retried. At intake the appeal's workflow fails with it.
   */
  RecordRejected: 'RecordRejected',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

export function actionNotAllowed(action: string, stage: string, why?: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.ActionNotAllowed,
    message: `${action} is not allowed in stage ${stage}${why ? `: ${why}` : ''}`,
    nonRetryable: true,
    details: [{ action, stage }],
  });
}

export function actionForbidden(action: string, stage: string, party: string, why: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.ActionForbidden,
    message: `${action} by ${party} is refused in stage ${stage}: ${why}`,
    nonRetryable: true,
    details: [{ action, stage, party }],
  });
}

export function invalidAction(
  action: string,
  stage: string,
  why: string,
  field = fieldNamedBy(why),
): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.InvalidAction,
    message: `${action} in stage ${stage}: ${why}`,
    nonRetryable: true,
    details: [{ action, stage, ...(field ? { field } : {}) }],
  });
}

/**
 * The input field a refusal's reason starts with (`reason is required`, `newUnitId is the unit
 * that objected` → its name), for the API's `field`. A reason that starts otherwise names none.
 */
function fieldNamedBy(why: string): string | undefined {
  return /^([a-z][A-Za-z]*)(?: \([^)]*\))? (?:is |must )/.exec(why)?.[1];
}
