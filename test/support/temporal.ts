import { inject } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { join } from 'node:path';
import { registerSearchAttributes } from '../../scripts/lib/searchAttributes.js';
import { clockShiftedLauncher } from '../../scripts/lib/faketime.js';
import { STATE_DIR } from '../../scripts/lib/paths.js';

let runtimeInstalled = false;
/** Keeps the SDK's own logs out of test output (set LOG_LEVEL to see them). */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.LOG_LEVEL ?? '').toUpperCase();
  const shown = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level) ? (level as 'INFO') : 'ERROR';
  Runtime.install({
    logger: new DefaultLogger(shown),
    // Core's notices (e.g. the test server lacking a newer capability) stay out of the test output too.
    telemetryOptions: { logging: { filter: { core: shown, other: 'ERROR' }, forward: {} } },
  });
}

/** The workflow bundle built once by the global set-up. */
export const workflowBundle = (): { codePath: string } => ({ codePath: inject('workflowBundlePath') });

/** Whether the test server can start at a chosen instant (libfaketime is installed). */
export const canStartAt = (): boolean => inject('faketimeLib') !== '';

/**
 * A time-skipping environment on the real sdk-java test server: one per test file. With
 * `startsAt`, the server's clock starts at that instant instead of now (see scripts/lib/faketime.ts).
 */
export async function createTimeSkippingEnv(options: { startsAt?: Date } = {}): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  let path = inject('testServerPath');
  if (options.startsAt) {
    if (!canStartAt())
      throw new Error('libfaketime is not installed: the test server cannot start at a chosen instant');
    path = await clockShiftedLauncher(path, options.startsAt, join(STATE_DIR, 'test'), inject('faketimeLib'));
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** The shared in-memory dev server started by the global set-up. */
export async function connectDevServer(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({ address: inject('temporalAddress') });
}
