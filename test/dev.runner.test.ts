/**
 * The real `npm run dev` runner (scripts/dev.ts) on free ports with a state directory of its
 * own: a worker killed with SIGKILL is started again and work goes on; Ctrl-C (SIGINT) then
 * stops every process the runner started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../db/client.js';
import { listAuditEvents } from '../db/queries/cases.js';
import { freePort } from '../scripts/lib/ports.js';
import { sharedClusterParent } from '../scripts/lib/postgres.js';
import { ROOT } from '../scripts/lib/paths.js';
import { resolveTool, TEMPORAL_CLI } from '../scripts/lib/tools.js';
import { waterOutage } from '../scripts/lib/sampleAppeals.js';

/** pid → start time (field 22 of /proc/<pid>/stat), so a reused pid does not count as the same process. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** State and command line of a process, for a failure message. */
function describe_(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return `[${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]}] ${cmdline}`;
  } catch {
    return '(gone)';
  }
}

/** Every process below `root`, with its start time. */
function descendants(root: number): Map<number, string> {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found = new Map<number, string>();
  let frontier = [root];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [pid, ppid] of parentOf) {
      if (frontier.includes(ppid) && !found.has(pid)) {
        const started = startTime(pid);
        if (started) found.set(pid, started);
        next.push(pid);
      }
    }
    frontier = next;
  }
  return found;
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let runner: ChildProcess | undefined;
let stateDir: string | undefined;
let log = '';
afterAll(async () => {
  if (runner && runner.exitCode === null && runner.signalCode === null) {
    for (const pid of descendants(runner.pid!).keys()) process.kill(pid, 'SIGKILL');
    runner.kill('SIGKILL');
  }
  if (stateDir) {
    await rm(stateDir, { recursive: true, force: true });
    // As root the cluster of a mode-700 temporary directory lives under /var/tmp instead.
    await rm(sharedClusterParent(join(stateDir, 'pg')), { recursive: true, force: true });
  }
});

describe('npm run dev supervises its children', () => {
  it('restarts a killed worker, keeps serving, and stops every process on SIGINT', { timeout: 300_000 }, async () => {
    const cli = await resolveTool(TEMPORAL_CLI);
    if (!cli.path) throw new Error('no Temporal CLI');
    stateDir = await mkdtemp(join(tmpdir(), 'jiesu-dev-runner-'));
    const [apiPort, temporalPort, uiPort, pgPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(apiPort),
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      PG_PORT: String(pgPort),
      JIESU_STATE_DIR: stateDir,
      TEMPORAL_CLI_PATH: cli.path,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
    };
    for (const name of [
      'DATABASE_URL',
      'TEMPORAL_ADDRESS',
      'API_KEYS',
      'API_KEYS_FILE',
      'NODE_OPTIONS',
      'NODE_ENV',
      'VITEST',
    ]) {
      delete env[name];
    }
    for (const name of Object.keys(env)) if (name.startsWith('VITEST_')) delete env[name];
    runner = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    runner.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    runner.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) =>
      runner!.once('exit', (code, signal) => resolvePromise({ code, signal })),
    );
    const runnerAlive = () => {
      if (runner!.exitCode !== null) throw new Error(`the runner exited (${runner!.exitCode}):\n${log}`);
    };

    await until(
      'Jiesu is running',
      () => {
        runnerAlive();
        return log.includes('Jiesu is running') || undefined;
      },
      180_000,
    );
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    expect((await fetch(`${apiUrl}/health`)).status).toBe(200);

    // SIGKILL the worker: the runner names it and its signal, and starts it again.
    const workerPid = Number(/\[jiesu\] worker started \(pid (\d+)\)/.exec(log)?.[1]);
    expect(workerPid).toBeGreaterThan(0);
    const apiPid = Number(/\[jiesu\] API started \(pid (\d+)\)/.exec(log)?.[1]);
    process.kill(workerPid, 'SIGKILL');
    const restartedPid = await until(
      'worker restarted',
      () => {
        runnerAlive();
        const match = /\[jiesu\] worker started \(pid (\d+)\)/g;
        const pids = [...log.matchAll(match)].map((m) => Number(m[1]));
        return pids.length >= 2 ? pids[pids.length - 1] : undefined;
      },
      30_000,
    );
    expect(log).toContain(`[jiesu] worker (pid ${workerPid}) exited with signal SIGKILL; restarting in 1 s`);
    expect(restartedPid).not.toBe(workerPid);
    // The rest kept running: same API process, no second start of it, the runner never stopped.
    expect(log).not.toContain('stopping …');
    expect([...log.matchAll(/\[jiesu\] API started/g)]).toHaveLength(1);
    process.kill(apiPid, 0);
    const healthy = async () => (await fetch(`${apiUrl}/health`).catch(() => undefined))?.status === 200;
    await until('/health answering 200 again', async () => (await healthy()) || undefined, 30_000);

    // An appeal started after the restart reaches its intake record (written by the new worker).
    // Same external id on a retry of a 503 (Temporal or PostgreSQL busy): the start is idempotent.
    const appeal = JSON.stringify(waterOutage(`runner-${Date.now()}`));
    const started = await until(
      'POST /v1/appeals',
      async () => {
        const res = await fetch(`${apiUrl}/v1/appeals`, {
          method: 'POST',
          headers: { authorization: 'Bearer dev-intake', 'content-type': 'application/json' },
          body: appeal,
        });
        return res.status === 503 ? undefined : res;
      },
      30_000,
    );
    const startedBody = await started.text();
    expect([200, 201], startedBody).toContain(started.status);
    const appealId = (JSON.parse(startedBody) as { case: { appealId: string } }).case.appealId;
    const db = createDb(`postgres://postgres:postgres@127.0.0.1:${pgPort}/jiesu`, { max: 1 });
    try {
      await until(
        'intake record',
        async () => ((await listAuditEvents(db.db, appealId)).some((e) => e.type === 'intake') ? true : undefined),
        30_000,
      );
    } finally {
      await db.close();
    }

    // Ctrl-C: everything the runner started is gone once it exits.
    const children = descendants(runner.pid!);
    expect(children.size).toBeGreaterThanOrEqual(4); // Temporal, postgres (+ its workers), worker, API
    runner.kill('SIGINT');
    const { code } = await exited;
    expect(code, log).toBe(0);
    expect(log).toContain('[jiesu] stopped');
    const left = () =>
      [...children].filter(([pid, started]) => startTime(pid) === started).map(([pid]) => `${pid} ${describe_(pid)}`);
    // A process the runner already ended may take a moment to be reaped.
    await until('children gone', () => left().length === 0 || undefined, 5000).catch(() => undefined);
    expect(left(), 'processes left behind').toEqual([]);
  });
});
