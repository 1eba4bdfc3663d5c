/**
 * Starts the real servers once for the whole run: an embedded PostgreSQL with a migrated
 * template database (each test file clones it) and an in-memory Temporal dev server; bundles
 * the workflows once. Test files reach them through vitest's `inject`.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveTools } from '../../scripts/lib/tools.js';
import { faketimeLib } from '../../scripts/lib/faketime.js';
import { startTemporalDevServer } from '../../scripts/lib/temporalDevServer.js';
import {
  dropDatabase,
  ensureDatabase,
  removeAbandonedClusters,
  startEmbeddedPostgres,
} from '../../scripts/lib/postgres.js';
import { freePort } from '../../scripts/lib/ports.js';
import { STATE_DIR } from '../../scripts/lib/paths.js';
import { step } from '../../scripts/lib/log.js';
import { migrateAndSeed } from '../../scripts/lib/localStack.js';
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

  // PostgreSQL: DATABASE_URL's server when given, otherwise an embedded one for tests only.
  let pgServerUrl = process.env.DATABASE_URL;
  let stopPg = async (): Promise<void> => undefined;
  if (!pgServerUrl) {
    // A directory of this run's own: two runs side by side never share a cluster.
    await removeAbandonedClusters(join(STATE_DIR, 'pg'), 'test');
    const dataDir = join(STATE_DIR, 'pg', `test-${process.pid}`);
    await rm(dataDir, { recursive: true, force: true });
    const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true });
    pgServerUrl = pg.serverUrl;
    stopPg = () => pg.stop();
  }
  let temporal: Awaited<ReturnType<typeof startTemporalDevServer>> | undefined;
  const workflowBundlePath = join(STATE_DIR, 'test', 'workflow-bundle.js');
  try {
    await dropDatabase(pgServerUrl, TEMPLATE_DATABASE);
    const templateUrl = await ensureDatabase(pgServerUrl, TEMPLATE_DATABASE);
    await migrateAndSeed(templateUrl);
    step(`test PostgreSQL ready, template database migrated and seeded (${Date.now() - started} ms)`);

    temporal = await startTemporalDevServer({ cliPath: cli.path, port: await freePort() });
    step(`test Temporal dev server on ${temporal.address}`);

    await writeWorkflowBundle(workflowBundlePath, (message) => step(`bundle: ${message}`));
    step(`workflows bundled once (${Date.now() - started} ms since set-up began)`);
  } catch (error) {
    // A failed set-up leaves no server behind.
    await temporal?.stop();
    await stopPg();
    throw error;
  }

  project.provide('pgServerUrl', pgServerUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
  project.provide('temporalAddress', temporal.address);
  project.provide('testServerPath', testServer.path);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('faketimeLib', faketimeLib() ?? '');

  const server = temporal;
  return async () => {
    await server.stop();
    await stopPg();
  };
}
