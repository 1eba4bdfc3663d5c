/**
 * `BENCH_TEMPORAL=both`: the chosen mode on the dev server, then on the cluster (the real
 * Temporal server on PostgreSQL), each in a child process with a stack of its own, so that the
 * second run meets a machine the first has left. Then the two results side by side: each
 * operation's p50 and its ratios to the floor measured on the same server, or the open-appeals
 * curve step by step.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STATE_DIR } from '../lib/paths.js';
import type { OpenResult } from './openAppeals.js';
import { cpuParts, cpuRatio, floorRatios, markdownTable, ownHttpRows, type Comparison, type Target } from './report.js';

const SIDES = ['dev', 'cluster'] as const;
type Side = (typeof SIDES)[number];

export interface CompareResults {
  mode: 'compare';
  temporalServer: string;
  comparisons: Comparison[];
  targets: Target[];
}
interface OpenResults extends OpenResult {
  mode: 'open';
  temporalServer: string;
}
type Results = CompareResults | OpenResults;

/** Runs this script again with `BENCH_TEMPORAL=<side>`, its output on ours; answers its exit code. */
function runSide(side: Side, resultsFile: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_TEMPORAL: side, BENCH_RESULTS_FILE: resultsFile },
    });
    // A terminal's Ctrl-C reaches the child itself; a SIGTERM to us is passed on.
    const forward = () => child.kill('SIGTERM');
    process.once('SIGTERM', forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      resolvePromise(code ?? (signal ? 1 : 0));
    });
  });
}

const times = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '–');
const ms = (v: number): string => `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`;

export function compareTable(results: Record<Side, CompareResults>): string {
  const header = [
    'operation',
    ...SIDES.flatMap((side) => [`${side}: HTTP p50 · ops/s`, `${side}: ÷ floor p50 · ops/s`]),
  ];
  const cells = results.dev.comparisons.map((dev) => {
    const row = [dev.operation];
    for (const side of SIDES) {
      const c = results[side].comparisons.find((x) => x.operation === dev.operation);
      if (!c) {
        row.push('–', '–');
        continue;
      }
      const f = floorRatios(c);
      row.push(
        `${ms(c.http.p50Ms)} · ${c.http.opsPerSec.toFixed(0)}/s`,
        c.floor ? `${times(f.p50)} · ${times(f.opsPerSec)}` : '–',
      );
    }
    return row;
  });
  const cpuHeader = [
    'operation',
    ...SIDES.flatMap((side) => [`${side}: CPU/op node · Temporal · PostgreSQL`, `${side}: ÷ floor`]),
  ];
  const cpuCells = ownHttpRows(results.dev.comparisons)
    .filter((dev) => dev.floor)
    .map((dev) => [
      dev.operation,
      ...SIDES.flatMap((side) => {
        const c = results[side].comparisons.find((x) => x.operation === dev.operation);
        return c ? [cpuParts(c.http.cpuMsPerOp), times(cpuRatio(c))] : ['–', '–'];
      }),
    ]);
  const floorsHeader = [
    'operation',
    ...SIDES.flatMap((side) => [`${side}: recorded · shaped Update ÷ empty p50`, `${side}: HTTP ÷ shaped p50`]),
  ];
  const floorsCells = results.dev.comparisons
    .filter((dev) => dev.shapedFloor)
    .map((dev) => [
      dev.operation,
      ...SIDES.flatMap((side) => {
        const c = results[side].comparisons.find((x) => x.operation === dev.operation);
        if (!c?.recordedFloor || !c.shapedFloor || !c.floor) return ['–', '–'];
        return [
          `${times(c.recordedFloor.p50Ms / c.floor.p50Ms)} · ${times(c.shapedFloor.p50Ms / c.floor.p50Ms)}`,
          times(c.http.p50Ms / c.shapedFloor.p50Ms),
        ];
      }),
    ]);
  const targets = results.dev.targets.map((t) => {
    const other = results.cluster.targets.find((x) => x.what === t.what);
    const cell = (x: Target | undefined) => (x ? `${x.met ? 'met' : 'not met'} (${x.measured})` : '–');
    return [t.what, cell(t), cell(other)];
  });
  return [
    markdownTable(header, cells),
    '',
    "CPU per operation through HTTP (ms; this process: client, API, worker) and its ratio to the floor's:",
    '',
    markdownTable(cpuHeader, cpuCells),
    '',
    'The actions against the recorded Update (one local activity before the answer) and the shaped Update (also search attributes, a timer replaced, a case-sized answer):',
    '',
    markdownTable(floorsHeader, floorsCells),
    '',
    markdownTable(['target', 'dev', 'cluster'], targets),
  ].join('\n');
}

function openCurve(results: Record<Side, OpenResults>): string {
  const header = [
    'open appeals',
    ...SIDES.flatMap((side) => [`${side}: time to open`, `${side}: read p50 / p99`, `${side}: storm all overdue`]),
  ];
  const targets = [...new Set(SIDES.flatMap((side) => results[side].steps.map((s) => s.target)))].sort((a, b) => a - b);
  const cells = targets.map((target) => {
    const row = [String(target)];
    for (const side of SIDES) {
      const step = results[side].steps.find((s) => s.target === target);
      if (!step) {
        row.push('not reached', '–', '–');
        continue;
      }
      row.push(
        `${step.openSec.toFixed(0)} s (${step.openPerSec.toFixed(0)}/s)`,
        `${step.read.p50Ms.toFixed(0)} / ${step.read.p99Ms.toFixed(0)} ms`,
        !step.storm
          ? 'not run (memory)'
          : step.storm.allOverdueSec === null
            ? 'not within the wait'
            : `${step.storm.allOverdueSec.toFixed(1)} s`,
      );
    }
    return row;
  });
  const why = SIDES.map((side) => `${side}: ${results[side].stoppedBecause ?? 'every step reached'}`);
  return [markdownTable(header, cells), '', ...why].join('\n');
}

/** Answers the exit code: 0 when both sides ran and their results were read. */
export async function runOnBothTopologies(mode: string, say: (message: string) => void): Promise<number> {
  if (mode !== 'compare' && mode !== 'open') {
    say(`BENCH_MODE=${mode} measures PostgreSQL only: BENCH_TEMPORAL=both is for compare and open`);
    return 1;
  }
  const dir = join(STATE_DIR, 'bench');
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const files = Object.fromEntries(SIDES.map((side) => [side, join(dir, `${stamp}-${side}.json`)])) as Record<
    Side,
    string
  >;
  for (const side of SIDES) {
    say(`── ${mode} on the ${side === 'dev' ? 'dev server' : 'cluster'} ──`);
    const code = await runSide(side, files[side]);
    if (code !== 0) {
      say(`the run on the ${side} side exited with ${code}: no side-by-side table`);
      return code;
    }
  }
  const results = Object.fromEntries(
    await Promise.all(SIDES.map(async (side) => [side, JSON.parse(await readFile(files[side], 'utf8')) as Results])),
  ) as Record<Side, Results>;
  const body =
    mode === 'compare'
      ? compareTable(results as Record<Side, CompareResults>)
      : openCurve(results as Record<Side, OpenResults>);
  process.stdout.write(
    [
      '',
      `Side by side (${mode}): dev = ${results.dev.temporalServer}; cluster = ${results.cluster.temporalServer}`,
      '',
      body,
      '',
      `results: ${files.dev}, ${files.cluster}`,
      '',
    ].join('\n'),
  );
  return 0;
}
