/**
 * Starts the real servers once for the whole run: an embedded PostgreSQL with a migrated
 * template database (each test file clones it) and an in-memory Temporal dev server; bundles
 * the workflows once. Test files reach them through vitest's `inject`.
 */
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveTools } from '../../scripts/lib/tools.js';
import { faketimeLib } from '../../scripts/lib/faketime.js';
import { STATE_DIR } from '../../scripts/lib/paths.js';
import { step } from '../../scripts/lib/log.js';
import { startLocalStack } from '../../scripts/lib/localStack.js';
import { writeWorkflowBundle } from '../../worker/bundle.js';

export const TEMPLATE_DATABASE = 'jiesu_template';

declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string;
    templateDatabase: string;
    temporalAddress: string;
    testServerPath: string;
    workflowBundlePath: string;
    /** libfaketime's path, or '' where it is not installed (scenarios on fixed dates are skipped). */
    faketimeLib: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const { cli, testServer } = await resolveTools();
  if (!cli.path || !testServer.path) {
    throw new Error(
      'the Temporal CLI and test server are needed: run `npm run tools`, or set TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH',
    );
  }

  // PostgreSQL: DATABASE_URL's server when given, otherwise an embedded one of this run's own
  // (two runs side by side never share a cluster); the Temporal dev server in memory.
  const stack = await startLocalStack({
    postgres: {
      url: process.env.DATABASE_URL,
      urlIs: 'server',
      cluster: 'test',
      throwaway: true,
      database: TEMPLATE_DATABASE,
      recreate: true,
    },
    temporal: { cliPath: cli.path },
  });
  step(`test PostgreSQL ready, template database migrated and seeded (${Date.now() - started} ms)`);
  step(`test Temporal dev server on ${stack.temporalAddress}`);
  const workflowBundlePath = join(STATE_DIR, 'test', 'workflow-bundle.js');
  try {
    await writeWorkflowBundle(workflowBundlePath, (message) => step(`bundle: ${message}`));
    step(`workflows bundled once (${Date.now() - started} ms since set-up began)`);
  } catch (error) {
    // A failed set-up leaves no server behind.
    await stack.stop().catch(() => undefined);
    throw error;
  }

  project.provide('pgServerUrl', stack.postgresServerUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
  project.provide('temporalAddress', stack.temporalAddress);
  project.provide('testServerPath', testServer.path);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('faketimeLib', faketimeLib() ?? '');

  return () => stack.stop();
}
