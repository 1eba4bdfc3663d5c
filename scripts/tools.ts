/**
 * `npm run tools`: installs (once) the Temporal CLI, the time-skipping test server and the
 * schemathesis OpenAPI fuzzer into .jiesu/tools (with two GeoReport v2 clients for the Open311
 * test and the Standard Webhooks library for the notifications test), Debian's docker-compose
 * used to validate the compose file, libfaketime
 * for deadline scenarios on fixed dates, and Debian's chromium (with a CJK font) for the supervisor page's browser test.
 * A second run finds everything cached and returns at once.
 */
import { resolveTool, resolveTools, SCHEMATHESIS } from './lib/tools.js';
import { ensureDockerCompose } from './lib/dockerCompose.js';
import { ensureFaketime } from './lib/faketime.js';
import { ensureChromium } from './lib/chromium.js';
import { ensurePythonLibraries, WEBHOOK_VERIFIERS } from './lib/pythonLibraries.js';
import { step } from './lib/log.js';

const started = Date.now();
try {
  const { cli, testServer } = await resolveTools();
  const fuzzer = await resolveTool(SCHEMATHESIS);
  // Third-party GeoReport v2 clients: only the Open311 clients' test needs them, so their absence is reported, not fatal.
  const open311Clients = await ensurePythonLibraries().then(
    () => 'installed',
    (error: Error) => `missing (${error.message})`,
  );
  // The Standard Webhooks library a Python receiver verifies deliveries with (the notifications test).
  const webhookVerifier = await ensurePythonLibraries(WEBHOOK_VERIFIERS).then(
    () => 'installed',
    (error: Error) => `missing (${error.message})`,
  );
  await ensureDockerCompose(step);
  await ensureFaketime(step);
  // Only the supervisor page's browser test needs it: its absence is reported, not fatal.
  const chromium = await ensureChromium(step).catch((error: Error) => `missing (${error.message})`);
  const show = (label: string, t: { path: string | undefined; source: string }): string =>
    `${label}: ${t.path ?? '(SDK download at run time)'} [${t.source}]`;
  step(
    `${show('temporal CLI', cli)}; ${show('test server', testServer)}; ${show('schemathesis', fuzzer)}; chromium: ${chromium}; GeoReport v2 clients: ${open311Clients}; standardwebhooks: ${webhookVerifier} (${Date.now() - started} ms)`,
  );
} catch (error) {
  step(`tools: ${(error as Error).message}`);
  process.exitCode = 1;
}
