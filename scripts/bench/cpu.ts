/**
 * CPU time spent by the benchmark's own stack, by part: this process (the client, the API and
 * the worker), the Temporal server's processes and PostgreSQL's, read from /proc for this
 * process and everything it started. A p50 at a fixed concurrency on two cores moves with
 * whatever else the machine does; the CPU an operation costs is what it is made of, and it
 * says where the time goes.
 *
 * The resident memory of the same parts (`rssOfStack`) comes from the same listing.
 *
 * Linux only (/proc); elsewhere `cpuOfStack` answers undefined and the benchmark prints no CPU.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const CPU_PARTS = ['node', 'temporal', 'postgres', 'other'] as const;
export type CpuPart = (typeof CPU_PARTS)[number];
/** A figure by part; a part without a process in the stack is absent. */
export type ByPart = Partial<Record<CpuPart, number>>;
/** Milliseconds of CPU (user and system) by part. */
export type CpuSample = ByPart;

/** Clock ticks per second of /proc's utime and stime: USER_HZ, 100 on Linux. */
const TICKS_PER_SEC = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  cpuMs: number;
  rssMb: number;
}

/** Bytes of a page, for /proc's resident set in pages. */
const PAGE_BYTES = 4096;

function readStat(pid: string): ProcStat | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command sits in parentheses and may hold spaces: the fields after its last ')' are plain.
    const close = line.lastIndexOf(')');
    const comm = line.slice(line.indexOf('(') + 1, close);
    const fields = line.slice(close + 2).split(' ');
    // After the command: state(0) ppid(1) … utime(11) stime(12), in ticks; … rss(21), in pages.
    return {
      pid: Number(pid),
      ppid: Number(fields[1]),
      comm,
      cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SEC,
      rssMb: (Number(fields[21]) * PAGE_BYTES) / 1024 / 1024,
    };
  } catch {
    return undefined; // gone since the listing
  }
}

const partOf = (stat: ProcStat, rootPid: number): CpuPart =>
  stat.pid === rootPid
    ? 'node'
    : stat.comm.startsWith('postgres')
      ? 'postgres'
      : stat.comm.startsWith('temporal')
        ? 'temporal'
        : 'other';

/** `rootPid` and its descendants, each with its part; undefined without /proc. */
function processesOfStack(rootPid: number): { stat: ProcStat; part: CpuPart }[] | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const stats = pids.map(readStat).filter((s): s is ProcStat => s !== undefined);
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) {
    const siblings = children.get(s.ppid);
    if (siblings) siblings.push(s);
    else children.set(s.ppid, [s]);
  }
  const root = stats.find((s) => s.pid === rootPid);
  if (!root) return undefined;
  const found: { stat: ProcStat; part: CpuPart }[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const s = pending.pop()!;
    found.push({ stat: s, part: partOf(s, rootPid) });
    pending.push(...(children.get(s.pid) ?? []));
  }
  return found;
}

/** Sums one figure of the stack's processes by part. */
function sumByPart(rootPid: number, figure: (stat: ProcStat) => number): ByPart | undefined {
  const processes = processesOfStack(rootPid);
  if (!processes) return undefined;
  const sample: ByPart = {};
  for (const { stat, part } of processes) sample[part] = (sample[part] ?? 0) + figure(stat);
  return sample;
}

/** CPU so far of `rootPid` and its descendants, by part; undefined without /proc. */
export const cpuOfStack = (rootPid = process.pid): CpuSample | undefined => sumByPart(rootPid, (s) => s.cpuMs);

/**
 * Resident memory in MB of `rootPid` and its descendants, by part; undefined without /proc.
 * PostgreSQL's processes share its buffers, which each one's resident set counts again.
 */
export const rssOfStack = (rootPid = process.pid): ByPart | undefined => sumByPart(rootPid, (s) => s.rssMb);

/** What was spent between two samples (a process that ended in between is not counted). */
export function cpuSince(before: CpuSample | undefined, after: CpuSample | undefined): CpuSample | undefined {
  if (!before || !after) return undefined;
  const spent: CpuSample = {};
  for (const part of CPU_PARTS) {
    if (after[part] === undefined) continue;
    spent[part] = Math.max(0, after[part] - (before[part] ?? 0));
  }
  return spent;
}

/** Sums samples part by part. */
export function addCpu(samples: (CpuSample | undefined)[]): CpuSample | undefined {
  const present = samples.filter((s): s is CpuSample => s !== undefined);
  if (present.length === 0) return undefined;
  const sum: CpuSample = {};
  for (const s of present)
    for (const part of CPU_PARTS) if (s[part] !== undefined) sum[part] = (sum[part] ?? 0) + s[part];
  return sum;
}

/** A sample shared out over `count` operations, part by part. */
export function cpuPerOp(sample: CpuSample, count: number): CpuSample {
  const each: CpuSample = {};
  for (const part of CPU_PARTS) if (sample[part] !== undefined) each[part] = sample[part] / count;
  return each;
}

/** The sum of a sample's parts. */
export const cpuTotal = (s: CpuSample): number => CPU_PARTS.reduce((sum, part) => sum + (s[part] ?? 0), 0);

/**
 * Waits until the stack is about idle: a `stepMs` interval in which it spent less than
 * `idleShare` of one core, at most `limitMs`. What an operation leaves running after its answer
 * (notices delivered, records written) then counts for it and not for whatever runs next.
 */
export async function untilQuiet(
  options: { stepMs?: number; idleShare?: number; limitMs?: number } = {},
): Promise<void> {
  const { stepMs = 100, idleShare = 0.1, limitMs = 3_000 } = options;
  const until = Date.now() + limitMs;
  let last = cpuOfStack();
  if (!last) return;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, stepMs));
    const now = cpuOfStack();
    const spent = cpuSince(last, now);
    if (!spent || cpuTotal(spent) < stepMs * idleShare) return;
    last = now;
  }
}
