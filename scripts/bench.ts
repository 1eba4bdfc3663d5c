/**
 * `npm run bench`: speed and memory, measured side by side in one run on a real stack of its
 * own (Temporal, PostgreSQL, one worker and the API in this process). Each
 * operation is timed directly (Temporal client, PostgreSQL) and through the HTTP API, with the
 * same N and concurrency, after a warm-up; the table shows the ratios. Targets are printed as
 * met or not, never turned into a failure: only a stack that cannot start exits 1.
 *
 *   BENCH_N=50 BENCH_CONCURRENCY=10 npm run bench
 *   BENCH_TEMPORAL=both npm run bench      # on the dev server, then on the cluster, side by side
 *   BENCH_DEV_STORE=file BENCH_MODE=open npm run bench   # the dev server's store on a SQLite file
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Stage, WorkOrder } from '../workflows/appeal/definitions.js';
import { STATE_DIR } from './lib/paths.js';
import { appealOps, floorOps, newWorkOrder } from './bench/appeals.js';
import { say } from './bench/log.js';
import { runPool, sideBySide, statsOf, type Case, type Stats } from './bench/measure.js';
import {
  floorRatios,
  actionFloorsTable,
  cpuTable,
  memoryLines,
  ratios,
  table,
  targetLine,
  writeResults,
  type Comparison,
  type MemoryResult,
  type Target,
} from './bench/report.js';
import { startBenchStack, Stoppers, type BenchStack } from './bench/stack.js';
import { openTable, runOpenAppeals } from './bench/openAppeals.js';
import { benchRankings, rankingsTable } from './bench/rankings.js';
import { runOnBothTopologies } from './bench/sideBySide.js';
import { DEV_STORES, TOPOLOGIES, type DevStore, type Topology } from './bench/topology.js';

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    say(`${name}=${raw} is not a positive integer`);
    process.exit(1);
  }
  return value;
}

const N = positiveInteger('BENCH_N', 200);
const CONCURRENCY = positiveInteger('BENCH_CONCURRENCY', 10);
/** The burst: this many starts through the API from BURST_CONNECTIONS at once. */
const BURST = positiveInteger('BENCH_BURST', 2000);
const BURST_CONNECTIONS = positiveInteger('BENCH_BURST_CONNECTIONS', 20);
const WARMUP = Math.min(20, N);
/** Each pair alternates in this many rounds (see sideBySide). */
const ROUNDS = 4;
const LIST_LIMIT = 50;

// A forced collection before each memory sample keeps garbage out of the comparison.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const stoppers = new Stoppers();
async function shutdown(code: number): Promise<never> {
  if (!stoppers.stopping) {
    say('stopping …');
    await stoppers.stopAll();
  }
  process.exit(code);
}
// `npm run` and tsx relay a terminal's Ctrl-C, so it may arrive more than once: the first one counts.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    if (stoppers.stopping) return;
    say(`interrupted (${signal})`);
    void shutdown(code);
  });
}
// Anything unexpected still stops the servers. While stopping, connections dropped by servers
// that the terminal's Ctrl-C reached first are expected and ignored.
const crashed = (error: unknown): void => {
  if (stoppers.stopping) return;
  say(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  void shutdown(1);
};
process.on('uncaughtException', crashed);
process.on('unhandledRejection', crashed);

/** `BENCH_MODE=open`: the open-appeals curve (scripts/bench/openAppeals.ts), then exit. */
async function openMode(): Promise<never> {
  const steps = (process.env.BENCH_OPEN_STEPS ?? '10000,50000,100000').split(',').map(Number);
  if (steps.some((n) => !Number.isInteger(n) || n < 1) || steps.some((n, i) => i > 0 && n <= steps[i - 1]!)) {
    say(`BENCH_OPEN_STEPS=${process.env.BENCH_OPEN_STEPS}: expected increasing positive integers, e.g. 10000,50000`);
    return shutdown(1);
  }
  const result = await runOpenAppeals(stack, {
    steps,
    concurrency: positiveInteger('BENCH_OPEN_CONCURRENCY', 40),
    stormSize: positiveInteger('BENCH_STORM', 1000),
    stormWindowSec: positiveInteger('BENCH_STORM_WINDOW_SEC', 60),
    budgetMin: positiveInteger('BENCH_OPEN_BUDGET_MIN', 90),
    say,
  }).catch(async (error: unknown) => {
    if (stoppers.stopping) return new Promise<never>(() => undefined);
    say(`the open-appeals mode failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return shutdown(1);
  });
  const path = await saveResults({
    mode: 'open',
    temporal: TOPOLOGY,
    temporalServer: stack.temporalServer,
    startedAt: startedAt.toISOString(),
    machine: machineOf(),
    settings: { steps, maxCachedWorkflows: OPEN_CACHE },
    ...result,
  });
  process.stdout.write(
    [
      '',
      `Jiesu open appeals, ${startedAt.toISOString().slice(0, 10)}: ${stack.temporalServer}, one worker (maxCachedWorkflows ${OPEN_CACHE}, BENCH_CACHE) and the API in one process, ${os.cpus().length} cores`,
      '',
      openTable(result),
      '',
      result.stoppedBecause ? `stopped early: ${result.stoppedBecause}` : `reached ${steps.at(-1)} open appeals`,
      'RSS is the one process (API, worker and the benchmark client); reads hit cached and evicted appeals alike.',
      `results: ${path}`,
      '',
    ].join('\n'),
  );
  return shutdown(0);
}

/** `BENCH_MODE=rankings`: the monthly rankings over generated rows (scripts/bench/rankings.ts), then exit. */
async function rankingsMode(): Promise<never> {
  const rows = positiveInteger('BENCH_RANKING_ROWS', 1_000_000);
  const result = await benchRankings(stack.db.pool, { rows, say }).catch(async (error: unknown) => {
    if (stoppers.stopping) return new Promise<never>(() => undefined);
    say(`the rankings mode failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return shutdown(1);
  });
  const path = await saveResults({
    mode: 'rankings',
    temporal: TOPOLOGY,
    temporalServer: stack.temporalServer,
    startedAt: startedAt.toISOString(),
    machine: machineOf(),
    ...result,
  });
  process.stdout.write(
    [
      '',
      `Jiesu rankings, ${startedAt.toISOString().slice(0, 10)}: ${result.rows} assessment rows in ${result.month} (and ${result.previousMonthRows} the month before), generated in ${result.generateSec.toFixed(0)} s, ${os.cpus().length} cores`,
      '',
      rankingsTable(result),
      '',
      'plan of the live street ranking (EXPLAIN ANALYZE, BUFFERS):',
      result.plan,
      '',
      `results: ${path}`,
      '',
    ].join('\n'),
  );
  return shutdown(0);
}

function machineOf() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: Number(loadAtStart.toFixed(2)),
  };
}

const startedAt = new Date();
const t0 = performance.now();
// Other work on the machine shows in every number: the load it started under goes with the results.
const loadAtStart = os.loadavg()[0]!;
say(`N=${N} per operation and way (BENCH_N), concurrency ${CONCURRENCY} (BENCH_CONCURRENCY), warm-up ${WARMUP}`);
const MODE = process.env.BENCH_MODE ?? 'compare';
if (!['compare', 'open', 'rankings'].includes(MODE)) {
  say(`BENCH_MODE=${MODE}: expected compare (the default), open or rankings`);
  process.exit(1);
}
const TOPOLOGY = (process.env.BENCH_TEMPORAL ?? 'dev') as Topology;
if (!TOPOLOGIES.includes(TOPOLOGY)) {
  say(`BENCH_TEMPORAL=${TOPOLOGY}: expected dev (the default), cluster or both`);
  process.exit(1);
}
const DEV_STORE = (process.env.BENCH_DEV_STORE ?? 'memory') as DevStore;
if (!DEV_STORES.includes(DEV_STORE)) {
  say(`BENCH_DEV_STORE=${DEV_STORE}: expected memory (the default) or file`);
  process.exit(1);
}
// Both: this script once per topology, in child processes, then the two results side by side.
if (TOPOLOGY === 'both') process.exit(await runOnBothTopologies(MODE, say));
/** The results as JSON under .jiesu/bench/, or where a side-by-side run asked for them. */
const saveResults = (results: object): Promise<string> =>
  process.env.BENCH_RESULTS_FILE
    ? writeFile(process.env.BENCH_RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`).then(
        () => process.env.BENCH_RESULTS_FILE!,
      )
    : writeResults(join(STATE_DIR, 'bench'), startedAt, results);
/** The open-appeals mode caps the worker's cache: beyond it appeals are evicted and replayed when they wake. */
const OPEN_CACHE = positiveInteger('BENCH_CACHE', 2000);
const stack: BenchStack = await startBenchStack(stoppers, {
  topology: TOPOLOGY,
  devStore: DEV_STORE,
  ...(MODE === 'open' ? { maxCachedWorkflows: OPEN_CACHE } : {}),
}).catch(async (error: unknown) => {
  say(`the stack could not start: ${error instanceof Error ? error.message : String(error)}`);
  return shutdown(1);
});
say(`stack ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
if (MODE === 'open') await openMode();
if (MODE === 'rankings') await rankingsMode();
const ops = appealOps(stack);
const floor = floorOps(stack);

/** Appeals whose intake is recorded and that wait on triage: the act phase's fresh appeals. */
const awaitingTriage: string[] = [];
/** Appeals dispatched and waiting on acceptance: what the reads read. */
const awaitingAcceptance: string[] = [];
/** Appeals accepted, in handling: what the results act on. */
const inHandling: string[] = [];
/** Open workflows that do nothing: what the Update and query floors act on. */
const floorsOpen: string[] = [];
/** Open workflows whose Update has an action's shape (floor/workflows.ts). */
const shapedOpen: string[] = [];

async function keepSettled(ids: string[], pool: string[], stage?: Stage): Promise<void> {
  const missing = new Set(await ops.settle(ids, stage));
  if (missing.size) say(`  ${missing.size} appeals did not settle within a minute; left out of later phases`);
  pool.push(...ids.filter((id) => !missing.has(id)));
}

/** Fresh appeals in triage: from the start phase, topped up (untimed) when it left too few. */
async function takeAwaitingTriage(count: number): Promise<string[]> {
  if (awaitingTriage.length < count) {
    const topUp = Array.from({ length: count - awaitingTriage.length }, newWorkOrder);
    await runPool(topUp, CONCURRENCY, async (order) => {
      await ops.startRecorded(order);
      awaitingTriage.push(order.appealId);
    });
  }
  return awaitingTriage.splice(0, count);
}

/** Appeals of `pool`, topped up (untimed) by `open` when the earlier phases left too few. */
async function takeFrom(
  pool: string[],
  count: number,
  open: (order: WorkOrder) => Promise<unknown>,
): Promise<string[]> {
  if (pool.length < count) {
    const topUp = Array.from({ length: count - pool.length }, newWorkOrder);
    await runPool(topUp, CONCURRENCY, async (order) => {
      await open(order);
      pool.push(order.appealId);
    });
  }
  return pool.splice(0, count);
}

const openAwaitingAcceptance = async (order: WorkOrder) => {
  await ops.startRecorded(order);
  await ops.triageDirect(order.appealId);
};

const pick = (pool: string[], count: number): string[] =>
  Array.from({ length: count }, () => pool[Math.floor(Math.random() * pool.length)]!);

interface Started {
  order: WorkOrder;
  ok?: boolean;
}
interface Acted {
  appealId?: string;
  ok?: boolean;
}
const orders = async (count: number): Promise<Started[]> =>
  Array.from({ length: count }, () => ({ order: newWorkOrder() }));
const settleStarted = (items: Started[]) =>
  keepSettled(
    items.filter((i) => i.ok).map((i) => i.order.appealId),
    awaitingTriage,
  );

/** The floor of a start: a workflow that does nothing, started raw; it stays open for the other floors. */
function floorStartCase(): Case<unknown> {
  const c: Case<{ workflowId?: string }> = {
    name: 'start floor',
    prepare: async (count) => Array.from({ length: count }, () => ({})),
    async op(item) {
      item.workflowId = await floor.start();
    },
    settle: async (items) => {
      floorsOpen.push(...items.flatMap((i) => (i.workflowId ? [i.workflowId] : [])));
    },
  };
  return c;
}

/** The floor of an action (an Update whose handler does nothing) or of a read (a query likewise). */
function floorCase(name: string, op: (workflowId: string) => Promise<unknown>): Case<unknown> {
  const c: Case<string> = {
    name,
    prepare: async (count) => {
      if (floorsOpen.length === 0) floorsOpen.push(await floor.start());
      return pick(floorsOpen, count);
    },
    op,
  };
  return c;
}

/** The action-shaped Update: on workflows of its own, a pool of them started (untimed) as needed. */
function shapedFloorCase(): Case<unknown> {
  const c: Case<string> = {
    name: 'shaped update floor',
    prepare: async (count) => {
      while (shapedOpen.length < Math.min(count, 50)) shapedOpen.push(await floor.startShaped());
      return pick(shapedOpen, count);
    },
    op: (id) => floor.shapedUpdate(id),
  };
  return c;
}

function startCases(): Record<'direct' | 'directRecorded' | 'http', Case<unknown>> {
  const direct: Case<Started> = {
    name: 'start direct',
    prepare: orders,
    async op(item) {
      await ops.startDirect(item.order);
      item.ok = true;
    },
    settle: settleStarted,
  };
  const directRecorded: Case<Started> = {
    name: 'start direct + record',
    prepare: orders,
    async op(item) {
      await ops.startRecorded(item.order);
      item.ok = true;
    },
    settle: settleStarted,
  };
  const http: Case<Acted> = {
    name: 'start HTTP',
    prepare: async (count) => Array.from({ length: count }, () => ({})),
    async op(item) {
      item.appealId = await ops.startHttp();
      item.ok = true;
    },
    settle: (items) =>
      keepSettled(
        items.flatMap((i) => (i.ok && i.appealId ? [i.appealId] : [])),
        awaitingTriage,
      ),
  };
  return { direct, directRecorded, http };
}

/** An action on appeals taken from one pool; those it moved on go to the next pool once in `stage`. */
function actionCase(
  name: string,
  take: (count: number) => Promise<string[]>,
  act: (appealId: string) => Promise<unknown>,
  next: { pool: string[]; stage: Stage },
): Case<unknown> {
  const c: Case<Acted> = {
    name,
    prepare: async (count) => (await take(count)).map((appealId) => ({ appealId })),
    async op(item) {
      await act(item.appealId!);
      item.ok = true;
    },
    settle: (items) =>
      keepSettled(
        items.flatMap((i) => (i.ok ? [i.appealId!] : [])),
        next.pool,
        next.stage,
      ),
  };
  return c;
}

const triageCase = (name: string, triage: (appealId: string) => Promise<unknown>) =>
  actionCase(name, takeAwaitingTriage, triage, { pool: awaitingAcceptance, stage: 'awaiting_acceptance' });
const acceptCase = (name: string, accept: (appealId: string) => Promise<unknown>) =>
  actionCase(name, (count) => takeFrom(awaitingAcceptance, count, openAwaitingAcceptance), accept, {
    pool: inHandling,
    stage: 'handling',
  });
const resultCase = (name: string, result: (appealId: string) => Promise<unknown>) =>
  actionCase(
    name,
    (count) =>
      takeFrom(inHandling, count, async (order) => {
        await openAwaitingAcceptance(order);
        await ops.acceptDirect(order.appealId);
      }),
    result,
    // Results are not acted on further: the pool is left behind.
    { pool: [], stage: 'callback' },
  );

function readCase(name: string, read: (appealId: string) => Promise<unknown>): Case<unknown> {
  const c: Case<string> = {
    name,
    prepare: async (count) => pick(awaitingAcceptance.length ? awaitingAcceptance : awaitingTriage, count),
    op: read,
  };
  return c;
}

function listCase(name: string, list: (limit: number) => Promise<unknown>): Case<unknown> {
  const c: Case<number> = {
    name,
    prepare: async (count) => Array.from({ length: count }, () => LIST_LIMIT),
    op: list,
  };
  return c;
}

async function runComparisons(n: number, rounds: number, label: string): Promise<Comparison[]> {
  const options = { n, concurrency: CONCURRENCY, rounds, onRound: say };
  const updateFloor = () => floorCase('update floor', (id) => floor.update(id));
  const recordedUpdateFloor = () => floorCase('recorded update floor', (id) => floor.recordedUpdate(id));
  say(`${label}: start (${n} each way)`);
  const start = startCases();
  const s = await sideBySide([floorStartCase(), start.direct, start.directRecorded, start.http], options);
  say(`${label}: triage, dispatch (${n} each way, on fresh appeals)`);
  const triage = await sideBySide(
    [
      updateFloor(),
      recordedUpdateFloor(),
      shapedFloorCase(),
      triageCase('triage direct', (id) => ops.triageDirect(id)),
      triageCase('triage HTTP', (id) => ops.triageHttp(id)),
    ],
    options,
  );
  say(`${label}: read one case (${n} each way)`);
  const read = await sideBySide(
    [
      floorCase('query floor', (id) => floor.query(id)),
      readCase('read direct', (id) => ops.readDirect(id)),
      readCase('read HTTP', (id) => ops.readHttp(id)),
    ],
    options,
  );
  say(`${label}: accept (${n} each way)`);
  const accept = await sideBySide(
    [
      updateFloor(),
      recordedUpdateFloor(),
      shapedFloorCase(),
      acceptCase('accept direct', (id) => ops.acceptDirect(id)),
      acceptCase('accept HTTP', (id) => ops.acceptHttp(id)),
    ],
    options,
  );
  say(`${label}: result (${n} each way)`);
  const result = await sideBySide(
    [
      updateFloor(),
      recordedUpdateFloor(),
      shapedFloorCase(),
      resultCase('result direct', (id) => ops.resultDirect(id)),
      resultCase('result HTTP', (id) => ops.resultHttp(id)),
    ],
    options,
  );
  say(`${label}: list ${LIST_LIMIT} cases (${n} each way)`);
  const list = await sideBySide(
    [listCase('list direct', (l) => ops.listDirect(l)), listCase('list HTTP', (l) => ops.listHttp(l))],
    options,
  );
  /** An action's row: its floor is the empty Update, its cases are named `<name> direct` and `<name> HTTP`. */
  const action = (
    operation: string,
    stats: Record<string, Stats>,
    name: string,
    update: string,
    path: string,
  ): Comparison => ({
    operation,
    floorHow: 'handle.executeUpdate of an Update whose handler does nothing',
    directHow: `handle.executeUpdate(${update})`,
    httpHow: `POST /v1/appeals/:id/${path}`,
    floor: stats['update floor'],
    recordedFloor: stats['recorded update floor'],
    shapedFloor: stats['shaped update floor'],
    direct: stats[`${name} direct`]!,
    http: stats[`${name} HTTP`]!,
  });
  return [
    {
      operation: 'start appeal',
      floorHow: 'client.workflow.start of a workflow that does nothing',
      directHow: 'client.workflow.start',
      httpHow: 'POST /v1/appeals (answers once the intake is recorded)',
      floor: s['start floor'],
      direct: s['start direct']!,
      http: s['start HTTP']!,
    },
    {
      operation: 'start, intake recorded',
      floorHow: 'client.workflow.start of a workflow that does nothing',
      directHow: 'client.workflow.start, then the work order recorded (one statement)',
      httpHow: 'POST /v1/appeals',
      floor: s['start floor'],
      direct: s['start direct + record']!,
      http: s['start HTTP']!,
    },
    action('triage (dispatch)', triage, 'triage', 'triageAppealUpdate', 'triage'),
    action('accept', accept, 'accept', 'acceptDispatchUpdate', 'accept'),
    action('result', result, 'result', 'reportResultUpdate', 'result'),
    {
      operation: 'read one case',
      floorHow: 'handle.query of a query whose handler does nothing',
      directHow: 'the case record read from PostgreSQL (getAppealRecord)',
      httpHow: 'GET /v1/appeals/:id',
      floor: read['query floor'],
      direct: read['read direct']!,
      http: read['read HTTP']!,
    },
    {
      operation: `list ${LIST_LIMIT} cases`,
      directHow: 'the same SELECT on PostgreSQL (drizzle)',
      httpHow: `GET /v1/appeals?limit=${LIST_LIMIT}`,
      direct: list['list direct']!,
      http: list['list HTTP']!,
    },
  ];
}

/** BURST starts through the API from BURST_CONNECTIONS at once: errors and the tail. */
async function measureBurst(): Promise<Stats> {
  say(`burst: ${BURST} starts through the API from ${BURST_CONNECTIONS} connections`);
  const batch = await runPool(
    Array.from({ length: BURST }, () => null),
    BURST_CONNECTIONS,
    () => ops.startHttp(),
  );
  const stats = statsOf([batch]);
  say(`  ${stats.ops} ok, ${stats.errors} failed in ${(batch.wallMs / 1000).toFixed(1)} s`);
  return stats;
}

/**
 * Memory once it has stopped moving. Only the main thread's heap can be collected on demand;
 * RSS goes on shrinking by itself, in steps some seconds apart, for about 20 s after work
 * stops. So it counts after 25 s at the earliest, once it has held still (within 2 MB) for
 * 10 s, 60 s at most.
 */
async function memorySample(): Promise<{ rss: number; heapUsed: number; cached: number }> {
  say('  waiting for RSS to hold still (25 s or more)');
  const samples: number[] = [];
  const steady = () => {
    const last = samples.slice(-10);
    return last.length === 10 && Math.max(...last) - Math.min(...last) < 2 * 1024 * 1024;
  };
  while (samples.length < 60 && (samples.length < 25 || !steady())) {
    gc();
    await sleep(1000);
    samples.push(process.memoryUsage().rss);
  }
  return {
    rss: samples.at(-1)!,
    heapUsed: process.memoryUsage().heapUsed,
    cached: stack.worker.getStatus().numCachedWorkflows,
  };
}

/** N more appeals left open, waiting on acceptance: what each costs the worker while cached. */
async function measureMemory(n: number): Promise<MemoryResult> {
  say(`memory: opening ${n} appeals that stay open (start, intake recorded, dispatched)`);
  const before = await memorySample();
  const opened: string[] = [];
  const batch = await runPool(Array.from({ length: n }, newWorkOrder), CONCURRENCY, async (order) => {
    await openAwaitingAcceptance(order);
    opened.push(order.appealId);
  });
  if (batch.errors.length) say(`  ${batch.errors.length} failed: ${batch.errors[0]}`);
  const openBefore = awaitingAcceptance.length;
  await keepSettled(opened, awaitingAcceptance, 'awaiting_acceptance');
  const count = awaitingAcceptance.length - openBefore;
  const after = await memorySample();
  const mb = (bytes: number) => bytes / 1024 / 1024;
  const perAppealKb = (bytes: number) => (count ? bytes / 1024 / count : Number.NaN);
  return {
    openAppeals: count,
    rssBeforeMb: mb(before.rss),
    rssAfterMb: mb(after.rss),
    heapUsedBeforeMb: mb(before.heapUsed),
    heapUsedAfterMb: mb(after.heapUsed),
    rssKbPerAppeal: perAppealKb(after.rss - before.rss),
    heapKbPerAppeal: perAppealKb(after.heapUsed - before.heapUsed),
    cachedBefore: before.cached,
    cachedAfter: after.cached,
    maxCachedWorkflows: stack.worker.options.maxCachedWorkflows,
    heapLimitMb: mb(v8.getHeapStatistics().heap_size_limit),
  };
}

async function measureAll(): Promise<{ memory: MemoryResult; comparisons: Comparison[]; burst: Stats }> {
  say(`warm-up: every operation ${WARMUP} times each way (not counted)`);
  await runComparisons(WARMUP, 1, 'warm-up');
  const memory = await measureMemory(N);
  const comparisons = await runComparisons(N, ROUNDS, 'measured');
  const burst = await measureBurst();
  return { memory, comparisons, burst };
}
const { memory, comparisons, burst } = await measureAll().catch(async (error: unknown) => {
  // Once Ctrl-C has closed the pools, what was in flight fails: the shutdown under way ends the process.
  if (stoppers.stopping) return new Promise<never>(() => undefined);
  say(`the benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  return shutdown(1);
});
const durationSec = (performance.now() - t0) / 1000;

const byOperation = (operation: string) => comparisons.find((c) => c.operation === operation)!;
const times = (v: number) => `${v.toFixed(2)}×`;
const startFloor = floorRatios(byOperation('start, intake recorded'));
const actionTargets = ['triage (dispatch)', 'accept', 'result'].map((operation): Target => {
  const p50 = floorRatios(byOperation(operation)).p50;
  return { what: `${operation}: p50 ≤ 3× the empty-Update floor`, met: p50 <= 3, measured: times(p50) };
});
const readFloor = floorRatios(byOperation('read one case')).p50;
const targets: Target[] = [
  {
    what: 'POST /v1/appeals (intake recorded): throughput ≥ 0.8× and p50 ≤ 2× the raw start floor',
    met: startFloor.opsPerSec >= 0.8 && startFloor.p50 <= 2,
    measured: `${times(startFloor.opsPerSec)} throughput, ${times(startFloor.p50)} p50`,
  },
  ...actionTargets,
  {
    what: 'reading one open case: p50 ≤ 1.5× the query floor',
    met: readFloor <= 1.5,
    measured: times(readFloor),
  },
  {
    what: `${BURST} starts from ${BURST_CONNECTIONS} connections: no error`,
    met: burst.errors === 0 && burst.ops === BURST,
    measured: `${burst.errors} failed; p50 ${burst.p50Ms.toFixed(0)} ms, p99 ${burst.p99Ms.toFixed(0)} ms, ${burst.opsPerSec.toFixed(0)}/s${burst.errorSamples[0] ? `; e.g. ${burst.errorSamples[0]}` : ''}`,
  },
  {
    what: 'the API adds at most half to an action (triage p50 HTTP/direct ≤ 1.5)',
    met: ratios(byOperation('triage (dispatch)')).p50 <= 1.5,
    measured: `${ratios(byOperation('triage (dispatch)')).p50.toFixed(2)}×`,
  },
  {
    what: 'the API adds at most half to a start once the intake is recorded (p50 HTTP/direct ≤ 1.5)',
    met: ratios(byOperation('start, intake recorded')).p50 <= 1.5,
    measured: `${ratios(byOperation('start, intake recorded')).p50.toFixed(2)}×`,
  },
  {
    what: 'an open appeal costs the worker at most 1 MB while cached (NOTES.md)',
    met: memory.rssKbPerAppeal <= 1024,
    measured: `${memory.rssKbPerAppeal.toFixed(0)} KB`,
  },
];

const machine = machineOf();
const resultsPath = await saveResults({
  mode: 'compare',
  temporal: TOPOLOGY,
  temporalServer: stack.temporalServer,
  startedAt: startedAt.toISOString(),
  durationSec: Math.round(durationSec),
  machine,
  settings: {
    n: N,
    concurrency: CONCURRENCY,
    warmup: WARMUP,
    rounds: ROUNDS,
    listLimit: LIST_LIMIT,
    burst: BURST,
    burstConnections: BURST_CONNECTIONS,
  },
  comparisons: comparisons.map((c) => ({ ...c, ratio: ratios(c), floorRatio: floorRatios(c) })),
  burst,
  memory,
  targets,
});

process.stdout.write(
  [
    '',
    `Jiesu benchmark, ${startedAt.toISOString().slice(0, 10)}, on ${stack.temporalServer}: N=${N}, concurrency ${CONCURRENCY}, ${machine.cpus} cores (${machine.cpuModel}, load ${machine.loadAverageAtStart} at start), Node ${machine.node}`,
    '',
    table(comparisons),
    '',
    ...comparisons.map(
      (c) =>
        `  ${c.operation}: ${c.floorHow ? `floor = ${c.floorHow}; ` : ''}direct = ${c.directHow}; HTTP = ${c.httpHow}`,
    ),
    '',
    'CPU per operation (ms, user and system, until its background work settled): this process (client, API, worker) · the Temporal server · PostgreSQL',
    '',
    cpuTable(comparisons),
    '',
    'The actions against two more floors (in parentheses: ÷ the empty Update): the recorded Update runs one local activity that does nothing before it answers, as every action records its step; the shaped Update also changes two search attributes, replaces a timer and answers 1.5 KB, as an action does, without its work:',
    '',
    actionFloorsTable(comparisons),
    '',
    ...memoryLines(memory),
    '',
    ...targets.map(targetLine),
    '',
    `results: ${resultsPath}`,
    `took ${durationSec.toFixed(0)} s`,
    '',
  ].join('\n'),
);
await shutdown(0);
