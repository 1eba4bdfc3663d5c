import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, wherever the script is started from. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Local, git-ignored state: installed tools, database files, the dev server's SQLite file. */
export const STATE_DIR = process.env.JIESU_STATE_DIR ? resolve(process.env.JIESU_STATE_DIR) : join(ROOT, '.jiesu');

export const TOOLS_DIR = join(STATE_DIR, 'tools');
