import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { addCpu, cpuOfStack, cpuSince, cpuTotal, rssOfStack } from '../scripts/bench/cpu.js';
import type { Stats } from '../scripts/bench/measure.js';
import { cpuTable, type Comparison } from '../scripts/bench/report.js';

/** Spins until the process has spent `ms` more of CPU: a busy machine makes it last longer, not spend less. */
function spin(ms: number): void {
  const until = process.cpuUsage().user + ms * 1000;
  while (process.cpuUsage().user < until) Math.sqrt(Math.random());
}

describe("the benchmark's CPU accounting (/proc, by part of the stack)", () => {
  it('counts this process as node, and a child it started by what it runs', async () => {
    const before = cpuOfStack();
    expect(before?.node).toBeGreaterThan(0);

    spin(300);
    // A child that spends 400 ms of CPU: neither PostgreSQL nor Temporal, so "other"; counted while it runs.
    const child = spawn(process.execPath, [
      '-e',
      "const t = process.cpuUsage().user + 400e3; while (process.cpuUsage().user < t) Math.sqrt(Math.random()); console.log('spent'); setTimeout(() => {}, 5000);",
    ]);
    await once(child.stdout, 'data');
    const after = cpuOfStack();
    child.kill();
    await once(child, 'exit');

    const spent = cpuSince(before, after)!;
    // Ticks are 10 ms, and the process's own CPU counts the other threads' besides the spin.
    expect(spent.node).toBeGreaterThanOrEqual(200);
    expect(spent.other).toBeGreaterThanOrEqual(250);
    expect(spent.postgres).toBeUndefined();
    expect(cpuTotal(spent)).toBeCloseTo((spent.node ?? 0) + (spent.other ?? 0), 5);
  });

  it('counts the resident memory of this process and of a child by part', async () => {
    // A child that holds 200 MB of touched memory while it is sampled.
    const child = spawn(process.execPath, [
      '-e',
      "const b = Buffer.alloc(200 * 1024 * 1024, 1); console.log('ready'); setTimeout(() => b.length, 5000);",
    ]);
    await once(child.stdout, 'data');
    const rss = rssOfStack()!;
    child.kill();
    await once(child, 'exit');

    const own = process.memoryUsage().rss / 1024 / 1024;
    expect(rss.node).toBeGreaterThan(own * 0.8);
    expect(rss.node).toBeLessThan(own * 1.2);
    expect(rss.other).toBeGreaterThan(200);
    expect(rss.temporal).toBeUndefined();
  });

  it('answers nothing for a process that does not exist, and sums samples part by part', () => {
    expect(cpuOfStack(2 ** 22 + 1)).toBeUndefined();
    expect(rssOfStack(2 ** 22 + 1)).toBeUndefined();
    expect(cpuSince(undefined, { node: 5 })).toBeUndefined();
    expect(addCpu([{ node: 10, temporal: 4 }, undefined, { node: 5, postgres: 1 }])).toEqual({
      node: 15,
      temporal: 4,
      postgres: 1,
    });
    expect(addCpu([undefined])).toBeUndefined();
  });
});

describe('the CPU table', () => {
  const stats = (p50Ms: number, node: number): Stats => ({
    ops: 10,
    errors: 0,
    errorSamples: [],
    opsPerSec: 10,
    p50Ms,
    p95Ms: p50Ms,
    p99Ms: p50Ms,
    meanMs: p50Ms,
    cpuMsPerOp: { node, temporal: 2, postgres: 1 },
  });
  it('shows HTTP requests timed once as one row (the last), with the ratio of the totals to the floor', () => {
    const start = stats(200, 27);
    const rows: Comparison[] = [
      { operation: 'start appeal', directHow: '', httpHow: '', floor: stats(40, 7), direct: stats(40, 5), http: start },
      {
        operation: 'start, intake recorded',
        directHow: '',
        httpHow: '',
        floor: stats(40, 7),
        direct: stats(150, 20),
        http: { ...start },
      },
      {
        operation: 'accept',
        directHow: '',
        httpHow: '',
        floor: stats(40, 2),
        direct: stats(90, 10),
        http: stats(100, 12),
      },
    ];
    const lines = cpuTable(rows).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(
      /^\| start, intake recorded \| 10 ms +\| 7\.0 · 2\.0 · 1\.0 +\| 30 ms +\| 27 · 2\.0 · 1\.0 +\| 3\.00× +\|$/,
    );
    expect(lines[3]).toMatch(/^\| accept .*\| 3\.00× +\|$/);
  });
});
