/**
 * Python libraries the tests drive the API with, installed (once, pinned) from PyPI into the
 * same virtual environment as the Python tools: third-party GeoReport v2 clients, so that the
 * Open311 front door is checked against code that was not written with it, and the Standard
 * Webhooks library a receiver verifies deliveries with. `civicbot` files
 * and reads service requests (JSON), `georeport` reads the catalogue (XML, through xmltodict).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TOOLS_DIR } from './paths.js';
import { step } from './log.js';
import { run, tail } from './run.js';
import { ensureToolsVenv } from './tools.js';

interface PythonLibrary {
  /** pip's requirement, pinned. */
  requirement: string;
  /** The module the tests import. */
  module: string;
}

export const OPEN311_CLIENTS: readonly PythonLibrary[] = [
  { requirement: 'civicbot==0.4.0', module: 'civicbot' },
  { requirement: 'georeport==0.3.1', module: 'georeport' },
];

/** What a Python receiver verifies Jiesu's webhooks with (test/notifications.test.ts). */
export const WEBHOOK_VERIFIERS: readonly PythonLibrary[] = [
  { requirement: 'standardwebhooks==1.1.0', module: 'standardwebhooks' },
];

export const VENV_PYTHON = join(TOOLS_DIR, 'venv', 'bin', 'python');
const marker = (library: PythonLibrary): string =>
  join(TOOLS_DIR, `${library.requirement.replace('==', '-')}.installed`);

/** Installs what is missing; a second run finds the markers and returns at once. */
export async function ensurePythonLibraries(libraries: readonly PythonLibrary[] = OPEN311_CLIENTS): Promise<void> {
  const missing = libraries.filter((l) => !existsSync(marker(l)) || !existsSync(VENV_PYTHON));
  if (missing.length === 0) return;
  await ensureToolsVenv();
  const requirements = missing.map((l) => l.requirement);
  step(`installing ${requirements.join(', ')} from PyPI (libraries the tests drive and check the API with) …`);
  const pip = await run(VENV_PYTHON, [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--progress-bar',
    'off',
    ...requirements,
  ]);
  if (pip.code !== 0)
    throw new Error(`pip install ${requirements.join(' ')} failed (exit ${pip.code}):\n${tail(pip.output)}`);
  const check = await run(VENV_PYTHON, ['-c', `import ${missing.map((l) => l.module).join(', ')}`]);
  if (check.code !== 0) throw new Error(`installed, but not importable:\n${tail(check.output)}`);
  for (const library of missing) await writeFile(marker(library), `${library.requirement}\n`);
}
