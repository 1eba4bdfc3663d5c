/**
 * `npm run dev`: the whole service on one machine. Starts (unless pointed elsewhere by
 * TEMPORAL_ADDRESS / DATABASE_URL) the Temporal dev server with its Web UI on a persistent
 * SQLite file and an embedded PostgreSQL, applies migrations, then runs the worker and the
 * API as child processes. Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { resolveTool, TEMPORAL_CLI } from './lib/tools.js';
import { startTemporalDevServer, stopProcess } from './lib/temporalDevServer.js';
import { startDatabase } from './lib/localStack.js';
import { leaveSignalsToCaller } from './lib/postgres.js';
import { assertPortFree } from './lib/ports.js';
import { ROOT, STATE_DIR } from './lib/paths.js';
import { step } from './lib/log.js';
import { writeWorkflowBundle } from '../worker/bundle.js';

const port = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value <= 0 || value > 65535) throw new Error(`${name}=${raw} is not a valid port`);
  return value;
};

const stops: Array<() => Promise<void>> = [];
let stopping: Promise<never> | undefined;
/**
 * Stops everything once, whatever asks first. Ctrl-C may arrive more than once (the terminal
 * signals the whole process group and tsx relays it again); later signals wait for the same stop.
 */
function shutdown(code: number): Promise<never> {
  stopping ??= (async () => {
    step('stopping …');
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => step(`  ${String(e)}`));
    step('stopped');
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGHUP', () => void shutdown(0));

function startChild(label: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      step(`${label} exited (${signal ?? code}); stopping the rest`);
      void shutdown(1);
    }
  });
  stops.push(() => stopProcess(child));
  return child;
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

  let temporalAddress = process.env.TEMPORAL_ADDRESS ?? '';
  let uiUrl: string | undefined;
  if (ownTemporal) {
    const cli = await resolveTool(TEMPORAL_CLI);
    if (!cli.path)
      throw new Error('no Temporal CLI: set TEMPORAL_CLI_PATH, or TEMPORAL_ADDRESS to use a running cluster');
    const dbFile = join(STATE_DIR, 'temporal', 'dev.sqlite');
    step(`starting the Temporal dev server on 127.0.0.1:${temporalPort} (state in ${dbFile})`);
    const server = await startTemporalDevServer({ cliPath: cli.path, port: temporalPort, uiPort, dbFile });
    stops.push(() => server.stop());
    temporalAddress = server.address;
    uiUrl = server.uiUrl;
  }

  const database = await startDatabase({ name: 'dev', port: pgPort, databaseName: 'jiesu' });
  stops.push(() => database.stop());
  leaveSignalsToCaller();

  // Bundled here, quietly, so the worker starts without webpack's report in the log.
  const workflowBundlePath = join(STATE_DIR, 'dev', 'workflow-bundle.js');
  await writeWorkflowBundle(workflowBundlePath, (message) => step(`workflow bundle: ${message}`));
  step('workflows bundled');

  const env = {
    ...process.env,
    WORKFLOW_BUNDLE_PATH: workflowBundlePath,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporalAddress,
    PORT: String(apiPort),
    LOG_FORMAT: process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
  };
  startChild('worker', 'worker/main.ts', env);
  startChild('API', 'api/server.ts', env);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await waitForHealth(`${apiUrl}/health`);

  process.stdout.write(
    [
      '',
      'Jiesu is running:',
      `  API               ${apiUrl}   (health: ${apiUrl}/health)`,
      `  API docs          ${apiUrl}/docs${process.env.API_KEYS || process.env.API_KEYS_FILE ? '' : '   (dev keys: dev-intake, dev-center, dev-unit-<unitId>, …)'}`,
      `  Temporal Web UI   ${uiUrl ?? '(external cluster: use its own UI)'}`,
      `  Temporal frontend ${temporalAddress}`,
      `  PostgreSQL        ${database.url.replace(/:[^:@/]+@/, ':***@')}`,
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
} catch (error) {
  step(`dev: ${(error as Error).message}`);
  await shutdown(1);
}
