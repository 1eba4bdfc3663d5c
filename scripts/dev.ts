/**
 * `npm run dev`: the whole service on one machine. Starts (unless pointed elsewhere by
 * TEMPORAL_ADDRESS / DATABASE_URL) the Temporal dev server with its Web UI on a persistent
 * SQLite file and an embedded PostgreSQL, applies migrations, then runs the worker and the
 * API as supervised child processes: one that dies is started again after a growing delay,
 * while everything else keeps running. Ctrl-C stops everything it started; so does a start
 * that fails at any step, which names the step.
 */
import { join } from 'node:path';
import { startLocalStack, withoutPassword, type LocalStack } from './lib/localStack.js';
import { supervise, type Supervised } from './lib/supervise.js';
import { assertPortFree, portFromEnv as port } from './lib/ports.js';
import { ROOT, STATE_DIR } from './lib/paths.js';
import { step } from './lib/log.js';
import { writeWorkflowBundle } from '../worker/bundle.js';
import { loadWorkerConfig } from '../worker/config.js';
import { ensureSchedulesAt } from './lib/schedules.js';
import { DEV_PAYLOAD_KEYS_FILE, devPayloadKeys } from './lib/devPayloadKeys.js';
import { stopOnSignals } from './lib/stopSignals.js';

/** PostgreSQL and Temporal, while starting and once started; then the supervised children. */
const startup = new AbortController();
let starting: Promise<LocalStack> | undefined;
let stack: LocalStack | undefined;
const children: Supervised[] = [];
let stopping: Promise<never> | undefined;
/**
 * Stops everything once, whatever asks first. Ctrl-C may arrive more than once (the terminal
 * signals the whole process group); later signals wait for the same stop. The children's
 * supervisors are told first, all at once, so none of them restarts a child that the
 * terminal's signal already ended, nor one waiting out its restart delay. A stack still
 * starting stops what it started after its step under way.
 */
function shutdown(code: number): Promise<never> {
  stopping ??= (async () => {
    step('stopping …');
    startup.abort();
    await Promise.all(children.map((child) => child.stop()));
    const started = await starting?.catch(() => undefined);
    await started?.stop().catch((e: unknown) => step(`  ${(e as Error).message ?? String(e)}`));
    step('stopped');
    process.exit(code);
  })();
  return stopping;
}
stopOnSignals('dev', shutdown, step);

/** Runs one start-up step; a failure says which step it was. */
async function stepOf<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new Error(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function startChild(label: string, script: string, env: NodeJS.ProcessEnv): void {
  children.push(
    supervise({
      label,
      command: process.execPath,
      args: ['--import', 'tsx', script],
      cwd: ROOT,
      env,
      log: step,
    }),
  );
}

async function waitForHealth(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s`);
}

try {
  const apiPort = port('PORT', 3000);
  const temporalPort = port('TEMPORAL_PORT', 7233);
  const uiPort = port('TEMPORAL_UI_PORT', 8233);
  const pgPort = port('PG_PORT', 5433);
  const ownTemporal = !process.env.TEMPORAL_ADDRESS;
  const ownPostgres = !process.env.DATABASE_URL;

  // Check every port first, so a second `npm run dev` stops before touching any file.
  await assertPortFree(apiPort, 'API (PORT)');
  if (ownTemporal) {
    await assertPortFree(temporalPort, 'Temporal frontend (TEMPORAL_PORT)');
    await assertPortFree(uiPort, 'Temporal Web UI (TEMPORAL_UI_PORT)');
  }
  if (ownPostgres) await assertPortFree(pgPort, 'embedded PostgreSQL (PG_PORT)');

  // Payloads are encrypted in Temporal; the UI decodes them through the API's codec server.
  const payloadKeys = process.env.PAYLOAD_KEYS ? undefined : await devPayloadKeys();
  if (payloadKeys) step(`payload key ${payloadKeys.created ? 'created in' : 'read from'} ${DEV_PAYLOAD_KEYS_FILE}`);

  // PostgreSQL and Temporal; a step that fails is named, and what had started is stopped again.
  starting = startLocalStack({
    postgres: { url: process.env.DATABASE_URL, cluster: 'dev', port: pgPort, database: 'jiesu' },
    temporal: {
      address: process.env.TEMPORAL_ADDRESS,
      port: temporalPort,
      uiPort,
      uiCodecEndpoint: `http://127.0.0.1:${apiPort}/codec`,
      dbFile: join(STATE_DIR, 'temporal', 'dev.sqlite'),
      // The start-up flags name the search attributes only when the SQLite file is new: one
      // added since is registered through the operator service (no-op when all are there).
      registerSearchAttributes: true,
    },
    log: step,
    signal: startup.signal,
  });
  stack = await starting;

  // Bundled here, quietly, so the worker starts without webpack's report in the log.
  const workflowBundlePath = join(STATE_DIR, 'dev', 'workflow-bundle.js');
  await stepOf('bundling the workflows', () =>
    writeWorkflowBundle(workflowBundlePath, (message) => step(`workflow bundle: ${message}`)),
  );
  step('workflows bundled');

  const env = {
    ...process.env,
    WORKFLOW_BUNDLE_PATH: workflowBundlePath,
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    PORT: String(apiPort),
    LOG_FORMAT: process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    ...(payloadKeys ? { PAYLOAD_KEYS: payloadKeys.PAYLOAD_KEYS } : {}),
    // The supervisor page links stuck cases to the UI of the dev server started here.
    ...(stack.uiUrl && !process.env.TEMPORAL_UI_URL ? { TEMPORAL_UI_URL: stack.uiUrl } : {}),
  };
  startChild('worker', 'worker/main.ts', env);
  startChild('API', 'api/server.ts', env);
  // The monthly freeze of the rankings (Art. 25) and the daily anonymisation (Art. 26), on the worker's task queue.
  const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, PERSONAL_DATA_RETENTION_DAYS } =
    loadWorkerConfig(env);
  step(
    await stepOf('creating the schedules', () =>
      ensureSchedulesAt(TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, {
        retentionDays: PERSONAL_DATA_RETENTION_DAYS,
      }),
    ),
  );
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await stepOf('waiting for the API', () => waitForHealth(`${apiUrl}/health`));
  process.stdout.write(
    [
      '',
      'Jiesu is running:',
      `  API               ${apiUrl}   (health: ${apiUrl}/health)`,
      `  API docs          ${apiUrl}/docs${process.env.API_KEYS || process.env.API_KEYS_FILE ? '' : '   (dev keys: dev-intake, dev-center, dev-unit-<unitId>, …)'}`,
      `  Supervisor page   ${apiUrl}/supervise${process.env.API_KEYS || process.env.API_KEYS_FILE ? '   (with a supervisor key)' : '#key=dev-supervisor'}`,
      `  Temporal Web UI   ${stack.uiUrl ?? '(external cluster: use its own UI)'}`,
      `  Temporal frontend ${stack.temporalAddress}`,
      `  PostgreSQL        ${withoutPassword(stack.databaseUrl)}`,
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
} catch (error) {
  // A stop already under way (Ctrl-C while starting) ends the process itself.
  if (!stopping) {
    step(`dev: ${(error as Error).message}`);
    if (stack || children.length > 0) step('dev: stopping what was already started');
  }
  await shutdown(1);
}
