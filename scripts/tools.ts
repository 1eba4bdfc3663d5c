/**
 * `npm run tools`: installs (once) the Temporal CLI, the time-skipping test server and the
 * schemathesis OpenAPI fuzzer into .jiesu/tools, Debian's docker-compose used to validate the compose file, and libfaketime
 * for deadline scenarios on fixed dates.
 * A second run finds everything cached and returns at once.
 */
import { resolveTool, resolveTools, SCHEMATHESIS } from './lib/tools.js';
import { ensureDockerCompose } from './lib/dockerCompose.js';
import { ensureFaketime } from './lib/faketime.js';
import { step } from './lib/log.js';

const started = Date.now();
try {
  const { cli, testServer } = await resolveTools();
  const fuzzer = await resolveTool(SCHEMATHESIS);
  await ensureDockerCompose(step);
  await ensureFaketime(step);
  const show = (label: string, t: { path: string | undefined; source: string }): string =>
    `${label}: ${t.path ?? '(SDK download at run time)'} [${t.source}]`;
  step(
    `${show('temporal CLI', cli)}; ${show('test server', testServer)}; ${show('schemathesis', fuzzer)} (${Date.now() - started} ms)`,
  );
} catch (error) {
  step(`tools: ${(error as Error).message}`);
  process.exitCode = 1;
}
