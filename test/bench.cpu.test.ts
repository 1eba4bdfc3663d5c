import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { addCpu, cpuOfStack, cpuSince, cpuTotal } from '../scripts/bench/cpu.js';

/** Spins for `ms` of wall time on the calling thread. */
function spin(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) Math.sqrt(Math.random());
}

describe("the benchmark's CPU accounting (/proc, by part of the stack)", () => {
  it('counts this process as node, and a child it started by what it runs', async () => {
    const before = cpuOfStack();
    expect(before?.node).toBeGreaterThan(0);

    spin(300);
    // A child that spins for 400 ms: neither PostgreSQL nor Temporal, so "other"; counted while it runs.
    const child = spawn(process.execPath, [
      '-e',
      'const t = Date.now() + 400; while (Date.now() < t) Math.sqrt(Math.random()); setTimeout(() => {}, 2000);',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const after = cpuOfStack();
    child.kill();
    await once(child, 'exit');

    const spent = cpuSince(before, after)!;
    // Ticks are 10 ms; the spin is CPU-bound, though a busy machine may give it a little less.
    expect(spent.node).toBeGreaterThanOrEqual(200);
    expect(spent.other).toBeGreaterThanOrEqual(250);
    expect(spent.postgres).toBeUndefined();
    expect(cpuTotal(spent)).toBeCloseTo((spent.node ?? 0) + (spent.other ?? 0), 5);
  });

  it('answers nothing for a process that does not exist, and sums samples part by part', () => {
    expect(cpuOfStack(2 ** 22 + 1)).toBeUndefined();
    expect(cpuSince(undefined, { node: 5 })).toBeUndefined();
    expect(addCpu([{ node: 10, temporal: 4 }, undefined, { node: 5, postgres: 1 }])).toEqual({
      node: 15,
      temporal: 4,
      postgres: 1,
    });
    expect(addCpu([undefined])).toBeUndefined();
  });
});
