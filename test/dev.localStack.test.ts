/**
 * scripts/lib/localStack.ts, the start of PostgreSQL and Temporal that dev, the tests, the
 * benchmark and the fault drills share: parts stopped and started again on their files, and a
 * start that fails at one step stops what the other step had started and names the step.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { STATE_DIR } from '../scripts/lib/paths.js';
import { freePort } from '../scripts/lib/ports.js';
import { sharedClusterParent } from '../scripts/lib/postgres.js';
import { startLocalStack } from '../scripts/lib/localStack.js';
import { resolveTool, TEMPORAL_CLI } from '../scripts/lib/tools.js';

const CLUSTER = 'localstack';
const dataDirs = () =>
  [join(STATE_DIR, 'pg'), sharedClusterParent(join(STATE_DIR, 'pg'))].map((dir) =>
    join(dir, `${CLUSTER}-${process.pid}`),
  );

/** Processes whose command line mentions `text`. */
function processesWith(text: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(text)) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function count(url: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0]!.n;
  } finally {
    await client.end();
  }
}

describe('the local stack', () => {
  it(
    'starts both parts, restarts PostgreSQL on its files, and leaves nothing behind',
    { timeout: 120_000 },
    async () => {
      const cli = await resolveTool(TEMPORAL_CLI);
      if (!cli.path) throw new Error('no Temporal CLI');
      const temporalPort = await freePort();
      const lines: string[] = [];
      const stack = await startLocalStack({
        postgres: { cluster: CLUSTER, throwaway: true, database: 'jiesu' },
        temporal: { cliPath: cli.path, port: temporalPort, registerSearchAttributes: true },
        log: (line) => lines.push(line),
      });
      try {
        expect(stack.temporalAddress).toBe(`127.0.0.1:${temporalPort}`);
        expect(stack.uiUrl).toBeUndefined();
        expect(lines).toContain('search attributes already registered');
        expect(await count(stack.databaseUrl, 'districts')).toBeGreaterThan(0);

        await stack.postgres!.stop();
        expect(stack.postgres!.running).toBe(false);
        await expect(count(stack.databaseUrl, 'districts')).rejects.toThrow();
        await stack.postgres!.start();
        expect(await count(stack.databaseUrl, 'districts')).toBeGreaterThan(0);
      } finally {
        await stack.stop();
      }
      expect(processesWith(`--port ${temporalPort} `)).toEqual([]);
      expect(dataDirs().filter((dir) => existsSync(dir))).toEqual([]);
    },
  );

  it('names the step that failed and stops what the other step started', { timeout: 120_000 }, async () => {
    const start = startLocalStack({
      postgres: { cluster: CLUSTER, throwaway: true, database: 'jiesu' },
      temporal: { cliPath: '/nonexistent/temporal' },
    });
    await expect(start).rejects.toThrow(/^starting the Temporal dev server failed: .*could not start/);
    for (const dir of dataDirs()) expect(processesWith(dir)).toEqual([]);
    expect(dataDirs().filter((dir) => existsSync(dir))).toEqual([]);
  });

  it('starts nothing once its signal has aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      startLocalStack({
        postgres: { cluster: CLUSTER, throwaway: true, database: 'jiesu' },
        temporal: { cliPath: '/nonexistent/temporal' },
        signal: controller.signal,
      }),
    ).rejects.toThrow(/^stopped before /);
    expect(dataDirs().filter((dir) => existsSync(dir))).toEqual([]);
  });
});
