/**
 * Timing helpers: a fixed-concurrency pool, percentiles, and a side-by-side runner that
 * alternates the compared cases in rounds, so that a stack which slows down as it fills up
 * (more open workflows, more rows) weighs on every case alike instead of on the last one.
 */
import { performance } from 'node:perf_hooks';
import { addCpu, cpuOfStack, cpuPerOp, cpuSince, untilQuiet, type CpuSample } from './cpu.js';

export interface Batch {
  /** Milliseconds per successful operation. */
  latencies: number[];
  errors: string[];
  /** Wall time of the whole batch. */
  wallMs: number;
  /** CPU the stack spent on the batch and its settling (sideBySide), by part. */
  cpu?: CpuSample;
}

/** Runs `op` over `items` with at most `concurrency` in flight; a failed operation is counted, not timed. */
export async function runPool<T>(items: T[], concurrency: number, op: (item: T) => Promise<unknown>): Promise<Batch> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      const started = performance.now();
      try {
        await op(item);
        latencies.push(performance.now() - started);
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return { latencies, errors, wallMs: performance.now() - started };
}

/** Nearest-rank percentile (`p` in 0..100) of unsorted values; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Stats {
  ops: number;
  errors: number;
  /** First few distinct error messages, to tell what failed. */
  errorSamples: string[];
  opsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
  /** CPU per operation tried, by part (ms), where the batches were measured (sideBySide on Linux). */
  cpuMsPerOp?: CpuSample;
}

export function statsOf(batches: Batch[]): Stats {
  const latencies = batches.flatMap((b) => b.latencies);
  const errors = batches.flatMap((b) => b.errors);
  const wallMs = batches.reduce((sum, b) => sum + b.wallMs, 0);
  const cpu = batches.every((b) => b.cpu) ? addCpu(batches.map((b) => b.cpu)) : undefined;
  const tried = latencies.length + errors.length;
  return {
    ops: latencies.length,
    errors: errors.length,
    errorSamples: [...new Set(errors)].slice(0, 3),
    opsPerSec: wallMs > 0 ? (latencies.length / wallMs) * 1000 : Number.NaN,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    meanMs: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : Number.NaN,
    ...(cpu && tried > 0 ? { cpuMsPerOp: cpuPerOp(cpu, tried) } : {}),
  };
}

/** One way of doing an operation, timed against others in `sideBySide` (methods: a `Case<string>` is a `Case<unknown>`). */
export interface Case<T> {
  name: string;
  /** Untimed: the items of one round (e.g. fresh appeals to act on). */
  prepare(count: number): Promise<T[]>;
  op(item: T): Promise<unknown>;
  /** Untimed: waits until the round's background work is done, so it does not slow the next case. */
  settle?(items: T[]): Promise<void>;
}

/**
 * Runs `n` operations of every case with the same concurrency, in `rounds` rounds; the order
 * of the cases flips each round. Returns the statistics by case name, with the CPU the stack
 * spent on each batch until it settled and the stack was about idle again (its preparation left out).
 */
export async function sideBySide(
  cases: Case<unknown>[],
  options: { n: number; concurrency: number; rounds: number; onRound?: (message: string) => void },
): Promise<Record<string, Stats>> {
  const batches = new Map<string, Batch[]>(cases.map((c) => [c.name, []]));
  const rounds = Math.max(1, Math.min(options.rounds, options.n));
  for (let round = 0; round < rounds; round++) {
    // An even share per round; the first rounds take the remainder.
    const count = Math.floor(options.n / rounds) + (round < options.n % rounds ? 1 : 0);
    const order = round % 2 === 0 ? [...cases] : [...cases].reverse();
    for (const c of order) {
      const items = await c.prepare(count);
      // What preparing left running is not the batch's.
      await untilQuiet();
      const cpuBefore = cpuOfStack();
      const batch = await runPool(items, options.concurrency, (item) => c.op(item));
      await c.settle?.(items);
      // Untimed, but in its CPU: what the batch left running, until the stack is about idle.
      await untilQuiet();
      const cpu = cpuSince(cpuBefore, cpuOfStack());
      batches.get(c.name)!.push(cpu ? { ...batch, cpu } : batch);
      options.onRound?.(
        `  round ${round + 1}/${rounds} ${c.name}: ${batch.latencies.length} ok${batch.errors.length ? `, ${batch.errors.length} failed` : ''} in ${(batch.wallMs / 1000).toFixed(1)} s`,
      );
    }
  }
  return Object.fromEntries([...batches].map(([name, b]) => [name, statsOf(b)]));
}
