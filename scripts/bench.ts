/**
 * `npm run bench`: speed and memory, measured side by side in one run on a real stack of its
 * own (Temporal dev server, PostgreSQL, one worker and the API in this process). Each
 * operation is timed directly (Temporal client, PostgreSQL) and through the HTTP API, with the
 * same N and concurrency, after a warm-up; the table shows the ratios. Targets are printed as
 * met or not, never turned into a failure: only a stack that cannot start exits 1.
 *
 *   BENCH_N=50 BENCH_CONCURRENCY=10 npm run bench
 */
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { WorkOrder } from '../workflows/appeal/definitions.js';
import { STATE_DIR } from './lib/paths.js';
import { appealOps, newWorkOrder, RECORD_POLL_MS } from './bench/appeals.js';
import { say } from './bench/log.js';
import { runPool, sideBySide, type Case, type Stats } from './bench/measure.js';
import {
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

const startedAt = new Date();
const t0 = performance.now();
// Other work on the machine shows in every number: the load it started under goes with the results.
const loadAtStart = os.loadavg()[0]!;
say(`N=${N} per operation and way (BENCH_N), concurrency ${CONCURRENCY} (BENCH_CONCURRENCY), warm-up ${WARMUP}`);
const stack: BenchStack = await startBenchStack(stoppers).catch(async (error: unknown) => {
  say(`the stack could not start: ${error instanceof Error ? error.message : String(error)}`);
  return shutdown(1);
});
say(`stack ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const ops = appealOps(stack);

/** Appeals whose intake is recorded and that wait on triage: the act phase's fresh appeals. */
const awaitingTriage: string[] = [];
/** Appeals dispatched and waiting on acceptance: what the reads read. */
const awaitingAcceptance: string[] = [];

async function keepSettled(ids: string[], pool: string[], stage?: 'awaiting_acceptance'): Promise<void> {
  const missing = new Set(await ops.settle(ids, stage));
  if (missing.size) say(`  ${missing.size} appeals did not settle within a minute; left out of later phases`);
  pool.push(...ids.filter((id) => !missing.has(id)));
}

/** Fresh appeals in triage: from the start phase, topped up (untimed) when it left too few. */
async function takeAwaitingTriage(count: number): Promise<string[]> {
  if (awaitingTriage.length < count) {
    const topUp = Array.from({ length: count - awaitingTriage.length }, newWorkOrder);
    await runPool(topUp, CONCURRENCY, async (order) => {
      await ops.startDirect(order);
      await ops.waitForRecord(order.appealId);
      awaitingTriage.push(order.appealId);
    });
  }
  return awaitingTriage.splice(0, count);
}

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
      await ops.startDirect(item.order);
      await ops.waitForRecord(item.order.appealId);
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

function triageCase(name: string, triage: (appealId: string) => Promise<unknown>): Case<unknown> {
  const c: Case<Acted> = {
    name,
    prepare: async (count) => (await takeAwaitingTriage(count)).map((appealId) => ({ appealId })),
    async op(item) {
      await triage(item.appealId!);
      item.ok = true;
    },
    settle: (items) =>
      keepSettled(
        items.flatMap((i) => (i.ok ? [i.appealId!] : [])),
        awaitingAcceptance,
        'awaiting_acceptance',
      ),
  };
  return c;
}

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
  say(`${label}: start (${n} each way)`);
  const start = startCases();
  const s = await sideBySide([start.direct, start.directRecorded, start.http], options);
  say(`${label}: triage, dispatch (${n} each way, on fresh appeals)`);
  const act = await sideBySide(
    [triageCase('triage direct', (id) => ops.triageDirect(id)), triageCase('triage HTTP', (id) => ops.triageHttp(id))],
    options,
  );
  say(`${label}: read one case (${n} each way)`);
  const read = await sideBySide(
    [readCase('read direct', (id) => ops.readDirect(id)), readCase('read HTTP', (id) => ops.readHttp(id))],
    options,
  );
  say(`${label}: list ${LIST_LIMIT} cases (${n} each way)`);
  const list = await sideBySide(
    [listCase('list direct', (l) => ops.listDirect(l)), listCase('list HTTP', (l) => ops.listHttp(l))],
    options,
  );
  const row = (operation: string, directHow: string, httpHow: string, direct: Stats, http: Stats): Comparison => ({
    operation,
    directHow,
    httpHow,
    direct,
    http,
  });
  return [
    row(
      'start appeal',
      'client.workflow.start',
      'POST /v1/appeals (answers once the intake is recorded)',
      s['start direct']!,
      s['start HTTP']!,
    ),
    row(
      'start, intake recorded',
      `client.workflow.start, then the record polled every ${RECORD_POLL_MS} ms (the route polls every 100 ms)`,
      'POST /v1/appeals',
      s['start direct + record']!,
      s['start HTTP']!,
    ),
    row(
      'triage (dispatch)',
      'handle.executeUpdate(triageAppealUpdate)',
      'POST /v1/appeals/:id/triage',
      act['triage direct']!,
      act['triage HTTP']!,
    ),
    row(
      'read one case',
      'handle.query(caseQuery)',
      'GET /v1/appeals/:id (describe, then the query)',
      read['read direct']!,
      read['read HTTP']!,
    ),
    row(
      `list ${LIST_LIMIT} cases`,
      'the same SELECT on PostgreSQL (drizzle)',
      `GET /v1/appeals?limit=${LIST_LIMIT}`,
      list['list direct']!,
      list['list HTTP']!,
    ),
  ];
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
    await ops.startDirect(order);
    await ops.waitForRecord(order.appealId);
    await ops.triageDirect(order.appealId);
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

async function measureAll(): Promise<{ memory: MemoryResult; comparisons: Comparison[] }> {
  say(`warm-up: every operation ${WARMUP} times each way (not counted)`);
  await runComparisons(WARMUP, 1, 'warm-up');
  const memory = await measureMemory(N);
  const comparisons = await runComparisons(N, ROUNDS, 'measured');
  return { memory, comparisons };
}
const { memory, comparisons } = await measureAll().catch(async (error: unknown) => {
  // Once Ctrl-C has closed the pools, what was in flight fails: the shutdown under way ends the process.
  if (stoppers.stopping) return new Promise<never>(() => undefined);
  say(`the benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  return shutdown(1);
});
const durationSec = (performance.now() - t0) / 1000;

const byOperation = (operation: string) => comparisons.find((c) => c.operation === operation)!;
const targets: Target[] = [
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

const machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
  memoryGb: Math.round(os.totalmem() / 1024 ** 3),
  platform: `${os.platform()} ${os.release()}`,
  node: process.version,
  loadAverageAtStart: Number(loadAtStart.toFixed(2)),
};
const resultsPath = await writeResults(join(STATE_DIR, 'bench'), startedAt, {
  startedAt: startedAt.toISOString(),
  durationSec: Math.round(durationSec),
  machine,
  settings: { n: N, concurrency: CONCURRENCY, warmup: WARMUP, rounds: ROUNDS, listLimit: LIST_LIMIT },
  comparisons: comparisons.map((c) => ({ ...c, ratio: ratios(c) })),
  memory,
  targets,
});

process.stdout.write(
  [
    '',
    `Jiesu benchmark, ${startedAt.toISOString().slice(0, 10)}: N=${N}, concurrency ${CONCURRENCY}, ${machine.cpus} cores (${machine.cpuModel}, load ${machine.loadAverageAtStart} at start), Node ${machine.node}`,
    '',
    table(comparisons),
    '',
    ...comparisons.map((c) => `  ${c.operation}: direct = ${c.directHow}; HTTP = ${c.httpHow}`),
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
