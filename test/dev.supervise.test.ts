/** The supervisor of `npm run dev`'s children, with real child processes (`node -e` scripts). */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastFailure } from '../scripts/lib/cluster.js';
import { supervise, type Supervised } from '../scripts/lib/supervise.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const running: Supervised[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function start(script: string, options: Partial<Parameters<typeof supervise>[0]> = {}) {
  const lines: string[] = [];
  const s = supervise({
    label: 'child',
    command: process.execPath,
    args: ['-e', script],
    stdio: 'ignore',
    log: (line) => lines.push(line),
    ...options,
  });
  running.push(s);
  return { s, lines };
}

describe('supervise', () => {
  it('restarts a child that exits, with a doubling delay up to the cap, naming its exit code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jiesu-supervise-'));
    const file = join(dir, 'starts');
    const startedAt: number[] = [];
    const lines: string[] = [];
    try {
      const { s } = start(`require('fs').appendFileSync(${JSON.stringify(file)}, 'x'); process.exit(3)`, {
        initialDelayMs: 100,
        maxDelayMs: 400,
        log: (line) => {
          lines.push(line);
          if (line.includes('started')) startedAt.push(Date.now());
        },
      });
      await until(() => startedAt.length >= 5);
      await s.stop();
      expect(lines.filter((l) => l.includes('exited with exit code 3')).length).toBeGreaterThanOrEqual(4);
      expect(lines.filter((l) => l.includes('restarting in')).slice(0, 4)).toEqual([
        expect.stringMatching(/^child \(pid \d+\) exited with exit code 3; restarting in 100 ms$/),
        expect.stringMatching(/restarting in 200 ms$/),
        expect.stringMatching(/restarting in 400 ms$/),
        expect.stringMatching(/restarting in 400 ms$/),
      ]);
      const gaps = startedAt.slice(1).map((t, i) => t - startedAt[i]!);
      expect(gaps[0]).toBeGreaterThanOrEqual(90);
      expect(gaps[2]).toBeGreaterThanOrEqual(390);
      // Every start ran the script (the last one may have been stopped before it wrote).
      expect((await readFile(file, 'utf8')).length).toBeGreaterThanOrEqual(startedAt.length - 1);
      expect(s.restarts).toBeGreaterThanOrEqual(4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('restarts a child killed with SIGKILL and names the signal; stop() ends the new one', async () => {
    const { s, lines } = start('setInterval(() => {}, 1000)', { initialDelayMs: 50 });
    await until(() => s.pid !== undefined);
    const first = s.pid!;
    process.kill(first, 'SIGKILL');
    await until(() => s.pid !== undefined && s.pid !== first);
    const second = s.pid!;
    expect(lines).toContain(`child (pid ${first}) exited with signal SIGKILL; restarting in 50 ms`);
    expect(lines).toContain(`child started (pid ${second})`);
    await s.stop();
    expect(alive(second)).toBe(false);
    expect(s.pid).toBeUndefined();
    // Nothing comes back after stop.
    await new Promise((r) => setTimeout(r, 200));
    expect(s.pid).toBeUndefined();
    expect(lines.filter((l) => l.includes('started'))).toHaveLength(2);
  });

  it('stop() during the restart delay cancels the restart at once', async () => {
    const { s, lines } = start('process.exit(1)', { initialDelayMs: 60_000, maxDelayMs: 60_000 });
    await until(() => lines.some((l) => l.includes('restarting in 60 s')));
    const t0 = Date.now();
    await s.stop();
    expect(Date.now() - t0).toBeLessThan(100);
    expect(lines.filter((l) => l.includes('started'))).toHaveLength(1);
  });

  it('stop() twice, or concurrently, waits for the same exit; SIGKILL follows a child that ignores SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jiesu-supervise-'));
    const ready = join(dir, 'ready');
    try {
      const { s } = start(
        `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`,
        { stopGraceMs: 300 },
      );
      // Wait until the child has installed its handler.
      await until(() => existsSync(ready));
      const pid = s.pid!;
      const t0 = Date.now();
      await Promise.all([s.stop(), s.stop()]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      expect(alive(pid)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a command that cannot start is retried and reported, not thrown', async () => {
    const { s, lines } = start('', { command: '/nonexistent/jiesu-binary', initialDelayMs: 50 });
    await until(() => lines.filter((l) => l.includes('could not start')).length >= 2);
    await s.stop();
    expect(lines[0]).toMatch(
      /^child \(pid -\) could not start: spawn \/nonexistent\/jiesu-binary ENOENT; restarting in 50 ms$/,
    );
  });
  it("names why the child ended, as its output tells it, in the exit's line", async () => {
    const { lines } = start('process.exit(1)', {
      initialDelayMs: 60_000,
      exitReason: () => 'Failed to start gRPC listener: address already in use',
    });
    await until(() => lines.some((l) => l.includes('exited')));
    expect(lines.find((l) => l.includes('exited'))).toMatch(
      /^child \(pid \d+\) exited with exit code 1 \(Failed to start gRPC listener: address already in use\); restarting in 30 s$/,
    );
  });

  it('lastFailure picks the last failing line of a Go service, a pino log or a panic', () => {
    const go = [
      '{"level":"info","msg":"history starting"}',
      '{"level":"error","msg":"Queue reader unable to retrieve tasks","error":"shard status unknown"}',
      '{"level":"fatal","msg":"Failed to start gRPC listener","error":"listen tcp 127.0.0.1:21034: bind: address already in use"}',
      '{"level":"info","msg":"after"}',
    ].join('\n');
    expect(lastFailure(go)).toBe(
      'Failed to start gRPC listener: listen tcp 127.0.0.1:21034: bind: address already in use',
    );
    expect(lastFailure('{"level":60,"msg":"worker failed","err":{"message":"connection refused"}}')).toBe(
      'worker failed: connection refused',
    );
    expect(lastFailure('starting\npanic: runtime error: invalid memory address\n\ngoroutine 1')).toBe(
      'panic: runtime error: invalid memory address',
    );
    expect(lastFailure('{"level":"info","msg":"fine"}\nplain text')).toBeUndefined();
  });
});
