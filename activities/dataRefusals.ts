/**
 * An activity whose write PostgreSQL refuses for its data fails at once instead of being
 * retried for ever: the same values would be refused again on every attempt.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isDataRefusal, postgresError } from '../db/queries/errors.js';
import { ErrorType } from '../domain/errors.js';

/** The non-retryable failure for an error PostgreSQL raised on the data (class 22 or 23); `undefined` for any other. */
export function recordRejected(activity: string, error: unknown): ApplicationFailure | undefined {
  if (error instanceof ApplicationFailure) return undefined;
  const refusal = postgresError(error);
  if (!isDataRefusal(refusal)) return undefined;
  return ApplicationFailure.create({
    type: ErrorType.RecordRejected,
    message: `${activity}: PostgreSQL refused the data (${refusal.code}: ${refusal.message})`,
    nonRetryable: true,
    // Not the driver's error as cause: drizzle's message lists the statement's parameters (the requester's data).
    details: [{ activity, sqlState: refusal.code }],
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- activities take and return anything
type AnyActivity = (...args: any[]) => Promise<unknown>;

/** The same activities, each turning a data refusal by PostgreSQL into a non-retryable `RecordRejected`. */
export function failOnDataRefusal<T extends Record<string, AnyActivity>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      async (...args: unknown[]) => {
        try {
          return await activity(...args);
        } catch (error) {
          throw recordRejected(name, error) ?? error;
        }
      },
    ]),
  ) as T;
}
