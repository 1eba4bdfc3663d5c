/**
 * Set-up of the fault drills (`npm run test:faults`): finds the Temporal CLI and bundles the
 * workflows once. Every drill starts its own servers (see test/support/faultStack.ts), because it
 * stops, kills and restarts them.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveTool, TEMPORAL_CLI } from '../../scripts/lib/tools.js';
import { STATE_DIR } from '../../scripts/lib/paths.js';
import { step } from '../../scripts/lib/log.js';
import { writeWorkflowBundle } from '../../worker/bundle.js';

/**
 * Data directories of drill clusters are `<STATE_DIR>/pg/faults-<pid>`: a throwaway cluster of
 * scripts/lib/localStack.ts, which also removes those of drills killed before their teardown.
 */
export const FAULTS_PG_PREFIX = 'faults';

declare module 'vitest' {
  export interface ProvidedContext {
    faultsTemporalCli: string;
    faultsWorkflowBundle: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const cli = await resolveTool(TEMPORAL_CLI);
  if (!cli.path) throw new Error('the Temporal CLI is needed: run `npm run tools`, or set TEMPORAL_CLI_PATH');

  // A bundle of this run's own: two runs side by side never write the same file.
  const dir = join(STATE_DIR, 'faults');
  await mkdir(dir, { recursive: true });
  const bundle = join(dir, `workflow-bundle-${process.pid}.js`);
  await writeWorkflowBundle(bundle, (message) => step(`bundle: ${message}`));
  step(`fault drills: workflows bundled (${Date.now() - started} ms)`);

  project.provide('faultsTemporalCli', cli.path);
  project.provide('faultsWorkflowBundle', bundle);
  return async () => {
    await rm(bundle, { force: true });
  };
}
