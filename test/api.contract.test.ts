/**
 * The API's contract is true: schemathesis (pinned, from PyPI, installed by `npm run tools`)
 * fuzzes the served OpenAPI document with every check, as each role, with a fixed seed and a
 * bounded number of examples: no 5xx, every response matches its documented status and schema,
 * undeclared methods answer 405, requests without a key 401. Runs against the real servers.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startApiWorld, TEST_KEYS, type ApiWorld, type Caller } from './support/api.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTool, SCHEMATHESIS } from '../scripts/lib/tools.js';
import { STATE_DIR } from '../scripts/lib/paths.js';

const CONFIG = fileURLToPath(new URL('./contract/schemathesis.toml', import.meta.url));
/** schemathesis keeps its example database and reports in its working directory: local state, git-ignored. */
const WORK_DIR = join(STATE_DIR, 'schemathesis');
/** Examples per operation and phase: enough to find contract breaks, bounded for CI. */
const MAX_EXAMPLES = 4;
const ROLES: Caller[] = ['intake', 'center', 'supervisor', 'admin', 'water', 'coordinator'];

let database: TestDatabase;
let world: ApiWorld;
let base: string;
let schemathesis: string;

beforeAll(async () => {
  const tool = await resolveTool(SCHEMATHESIS);
  if (!tool.path) throw new Error('schemathesis is not installed: run `npm run tools`');
  schemathesis = tool.path;
  mkdirSync(WORK_DIR, { recursive: true });
  database = await createTestDatabase();
  world = await startApiWorld(database, `contract-${randomUUID()}`);
  base = await world.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

function fuzz(caller: Caller): Promise<{ code: number; output: string }> {
  const args = [
    '--config-file',
    CONFIG,
    'run',
    `${base}/docs/json`,
    '--checks',
    'all',
    '--header',
    `Authorization: Bearer ${TEST_KEYS[caller].key}`,
    '--seed',
    '20261130',
    '--max-examples',
    String(MAX_EXAMPLES),
    '--workers',
    '1',
    '--no-color',
  ];
  return new Promise((resolve) => {
    const options = { cwd: WORK_DIR, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 };
    execFile(schemathesis, args, options, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });
}

describe('the OpenAPI contract, fuzzed by schemathesis with every check', () => {
  it.each(ROLES)('holds for the %s key', { timeout: 300_000 }, async (caller) => {
    const { code, output } = await fuzz(caller);
    // The failures section names each operation, check and reproduction; show it when red.
    const report = output.slice(Math.max(0, output.indexOf('FAILURES')), output.length);
    expect(code, report || output.slice(-4000)).toBe(0);
    expect(output).toMatch(/Tested: \d+/);
  });
});
