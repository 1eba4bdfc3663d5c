/** The results as a compact markdown table for the terminal, and as JSON under .jiesu/bench/. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stats } from './measure.js';
import { cpuTotal, type CpuSample } from './cpu.js';

export interface Comparison {
  operation: string;
  /** What each side does, for the legend and the JSON. */
  floorHow?: string;
  directHow: string;
  httpHow: string;
  /** The same kind of operation on a workflow that does nothing: the server's own cost. */
  floor?: Stats;
  /** For an action: an Update whose handler runs one local activity that does nothing (the SDK's least durable action). */
  recordedFloor?: Stats;
  /** For an action: an Update of an action's shape without its work (search attributes, a timer replaced, one local activity, a case-sized answer). */
  shapedFloor?: Stats;
  direct: Stats;
  http: Stats;
}

export interface MemoryResult {
  openAppeals: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  heapUsedBeforeMb: number;
  heapUsedAfterMb: number;
  rssKbPerAppeal: number;
  heapKbPerAppeal: number;
  cachedBefore: number;
  cachedAfter: number;
  maxCachedWorkflows: number;
  heapLimitMb: number;
}

export interface Target {
  what: string;
  met: boolean;
  measured: string;
}

/** HTTP over direct: above 1 the API is slower (p50) or, for throughput, below 1 it does fewer per second. */
export const ratios = (c: Comparison) => ({
  p50: c.http.p50Ms / c.direct.p50Ms,
  opsPerSec: c.http.opsPerSec / c.direct.opsPerSec,
});

/** HTTP over the floor, read the same way; NaN without a floor. */
export const floorRatios = (c: Comparison) => ({
  p50: c.floor ? c.http.p50Ms / c.floor.p50Ms : Number.NaN,
  opsPerSec: c.floor ? c.http.opsPerSec / c.floor.opsPerSec : Number.NaN,
});

const ms = (v: number): string => (Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const rate = (v: number): string => (Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const times = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '–');
const side = (s: Stats | undefined): string =>
  s ? `${ms(s.p50Ms)} / ${ms(s.p95Ms)} ms · ${rate(s.opsPerSec)}/s${s.errors ? ` (${s.errors} failed)` : ''}` : '–';

/** A markdown table, spelled as Prettier formats markdown so that a run pastes into the README unchanged. */
export function markdownTable(header: string[], cells: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function table(rows: Comparison[]): string {
  const header = [
    'operation',
    'floor p50 / p95 · ops/s',
    'direct p50 / p95 · ops/s',
    'HTTP p50 / p95 · ops/s',
    'HTTP/direct p50 · ops/s',
    'HTTP/floor p50 · ops/s',
  ];
  const cells = rows.map((r) => {
    const q = ratios(r);
    const f = floorRatios(r);
    return [
      r.operation,
      side(r.floor),
      side(r.direct),
      side(r.http),
      `${times(q.p50)} · ${times(q.opsPerSec)}`,
      r.floor ? `${times(f.p50)} · ${times(f.opsPerSec)}` : '–',
    ];
  });
  return markdownTable(header, cells);
}

/**
 * The actions against two more floors of the same server: the recorded Update (one local
 * activity before the answer: what the SDK adds to the empty Update for any action that
 * records something) and the shaped Update (an action's search attributes, timer, local
 * activity and answer size without its work: what Temporal spends on this design). What an
 * action costs above the shaped Update is Jiesu's own.
 */
export function actionFloorsTable(rows: Comparison[]): string {
  const header = [
    'operation',
    'empty Update p50 · CPU/op',
    'recorded Update p50 · CPU/op',
    'shaped Update p50 · CPU/op',
    'HTTP p50 · CPU/op',
    'HTTP ÷ shaped p50 · CPU',
  ];
  const cpuOf = (s: Stats | undefined) => (s?.cpuMsPerOp ? cpuTotal(s.cpuMsPerOp) : Number.NaN);
  const cell = (s: Stats | undefined, empty: Stats) =>
    s
      ? `${ms(s.p50Ms)} ms · ${cpuMs(s.cpuMsPerOp)} (${times(s.p50Ms / empty.p50Ms)} · ${times(cpuOf(s) / cpuOf(empty))})`
      : '–';
  const cells = rows
    .filter((r) => r.floor && (r.recordedFloor || r.shapedFloor))
    .map((r) => {
      const empty = r.floor!;
      return [
        r.operation,
        `${ms(empty.p50Ms)} ms · ${cpuMs(empty.cpuMsPerOp)}`,
        cell(r.recordedFloor, empty),
        cell(r.shapedFloor, empty),
        cell(r.http, empty),
        r.shapedFloor
          ? `${times(r.http.p50Ms / r.shapedFloor.p50Ms)} · ${times(cpuOf(r.http) / cpuOf(r.shapedFloor))}`
          : '–',
      ];
    });
  return markdownTable(header, cells);
}

/** HTTP's CPU per operation over the floor's, both summed over every part; NaN where either was not measured. */
export const cpuRatio = (c: Comparison): number =>
  c.floor?.cpuMsPerOp && c.http.cpuMsPerOp ? cpuTotal(c.http.cpuMsPerOp) / cpuTotal(c.floor.cpuMsPerOp) : Number.NaN;

const cpuMs = (s: CpuSample | undefined): string => (s ? `${ms(cpuTotal(s))} ms` : '–');
/** Where an operation's CPU went: this process (client, API, worker), the Temporal server, PostgreSQL. */
export const cpuParts = (s: CpuSample | undefined): string =>
  s ? [s.node, s.temporal, s.postgres].map((v) => (v === undefined ? '–' : ms(v))).join(' · ') : '–';

/**
 * The rows that time their own HTTP requests: two rows may compare the same HTTP requests with
 * different direct calls (a start, and a start with its record polled); the last one stays.
 */
export const ownHttpRows = (rows: Comparison[]): Comparison[] =>
  rows.filter((r, i) => !rows.slice(i + 1).some((later) => JSON.stringify(later.http) === JSON.stringify(r.http)));

/** CPU per operation of the floor and through HTTP, where it went, and their ratio. */
export function cpuTable(rows: Comparison[]): string {
  const header = [
    'operation',
    'floor CPU/op',
    'node · Temporal · PostgreSQL',
    'HTTP CPU/op',
    'node · Temporal · PostgreSQL',
    'HTTP/floor CPU',
  ];
  const cells = ownHttpRows(rows)
    .filter((r) => r.http.cpuMsPerOp)
    .map((r) => [
      r.operation,
      cpuMs(r.floor?.cpuMsPerOp),
      cpuParts(r.floor?.cpuMsPerOp),
      cpuMs(r.http.cpuMsPerOp),
      cpuParts(r.http.cpuMsPerOp),
      times(cpuRatio(r)),
    ]);
  return markdownTable(header, cells);
}

export function memoryLines(m: MemoryResult): string[] {
  return [
    `worker memory, ${m.openAppeals} more appeals open (awaiting acceptance), one process with API and worker:`,
    `  RSS        ${m.rssBeforeMb.toFixed(0)} → ${m.rssAfterMb.toFixed(0)} MB: ${m.rssKbPerAppeal.toFixed(0)} KB per open appeal`,
    `  heap used  ${m.heapUsedBeforeMb.toFixed(0)} → ${m.heapUsedAfterMb.toFixed(0)} MB: ${m.heapKbPerAppeal.toFixed(0)} KB per open appeal (main thread; the workflows live in the SDK's workflow thread, counted in RSS only)`,
    `  cached workflows ${m.cachedBefore} → ${m.cachedAfter}; maxCachedWorkflows ${m.maxCachedWorkflows} (SDK default: 600 per GiB of the ${m.heapLimitMb.toFixed(0)} MB heap limit above 200 MB)`,
    `  a full cache at this rate: about ${((m.maxCachedWorkflows * m.rssKbPerAppeal) / 1024).toFixed(0)} MB; beyond it appeals are evicted and replayed from history when they wake (NOTES.md)`,
    ...(m.openAppeals < 200
      ? ['  few appeals: RSS moves in steps of some 30 MB, so the figure per appeal is rough below N=200']
      : []),
  ];
}

export const targetLine = (t: Target): string => `target ${t.what}: ${t.met ? 'met' : 'not met'} (${t.measured})`;

/** Writes `.jiesu/bench/<timestamp>.json`; answers its path. */
export async function writeResults(dir: string, startedAt: Date, results: object): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}
