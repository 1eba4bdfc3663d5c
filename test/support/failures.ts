import { expect } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';

/** The ApplicationFailure an activity call rejects with (the test fails if it resolves or throws anything else). */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}
