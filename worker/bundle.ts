/**
 * The workflow code bundled ahead of time: production workers load the file instead of
 * running webpack at start-up (faster start, less memory), and tests bundle once per run.
 *
 *   npm run build:workflows   → dist/workflow-bundle.js (the Dockerfile runs it)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './createWorker.js';

export const DEFAULT_BUNDLE_PATH = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

/** Bundles `workflows/` into `path`; webpack's chatter goes nowhere, its warnings to `warn`. */
export async function writeWorkflowBundle(path: string, warn: (message: string) => void = console.warn): Promise<void> {
  const silent = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { log: silent, trace: silent, debug: silent, info: silent, warn, error: warn },
  });
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, code);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = process.argv[2] ?? DEFAULT_BUNDLE_PATH;
  await writeWorkflowBundle(path);
  console.log(`wrote ${path}`);
}
