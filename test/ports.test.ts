/**
 * scripts/lib/ports.ts: a server launched on a free port picks another when a process beside it
 * bound the picked port first, and never replaces a port it was given; a port from the
 * environment is a port or an error naming its variable.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freeLowPorts, launchOnPort, portFromEnv } from '../scripts/lib/ports.js';
import { freeClusterPorts, portsOf } from '../scripts/lib/temporalServer.js';

const open: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => new Promise((done) => server.close(done))));
});

/** Binds `port` on 127.0.0.1 the way a server would: rejects with the system's EADDRINUSE when taken. */
function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      open.push(server);
      resolve(server);
    });
  });
}

describe('launchOnPort', () => {
  it('picks another free port when the one it picked is bound before the launch binds it', async () => {
    const tried: number[] = [];
    const server = await launchOnPort(undefined, async (port) => {
      tried.push(port);
      // The first time, another process takes the picked port between the pick and the bind.
      if (tried.length === 1) await listen(port);
      return listen(port);
    });
    expect(tried).toHaveLength(2);
    expect(tried[1]).not.toBe(tried[0]);
    const address = server.address();
    expect(typeof address === 'object' && address?.port).toBe(tried[1]);
  });

  it('never replaces a port it was given, and gives up after its attempts', async () => {
    const taken = await listen(0);
    const port = (taken.address() as { port: number }).port;
    const tried: number[] = [];
    await expect(launchOnPort(port, (p) => (tried.push(p), listen(p)))).rejects.toThrow(/EADDRINUSE/);
    expect(tried).toEqual([port]);

    const picks: number[] = [];
    const alwaysTaken = (p: number) => {
      picks.push(p);
      return Promise.reject(new Error(`listen tcp 127.0.0.1:${p}: bind: address already in use`));
    };
    await expect(launchOnPort(undefined, alwaysTaken, 3)).rejects.toThrow(/address already in use/);
    expect(picks).toHaveLength(3);
  });

  it('does not retry a failure that is not a taken port', async () => {
    let calls = 0;
    await expect(
      launchOnPort(undefined, () => {
        calls++;
        return Promise.reject(new Error('postgres exited during start-up: bad configuration'));
      }),
    ).rejects.toThrow(/bad configuration/);
    expect(calls).toBe(1);
  });
});

describe('portFromEnv', () => {
  const NAME = 'JIESU_TEST_PORT';
  afterEach(() => {
    delete process.env[NAME];
  });

  it('reads the variable, or takes the fallback when it is unset', () => {
    expect(portFromEnv(NAME, 3000)).toBe(3000);
    process.env[NAME] = '3911';
    expect(portFromEnv(NAME, 3000)).toBe(3911);
  });

  it.each(['0', '65536', 'abc', '80.5', '-1'])('refuses %s, naming the variable', (value) => {
    process.env[NAME] = value;
    expect(() => portFromEnv(NAME, 3000)).toThrow(`${NAME}=${value} is not a valid port`);
  });
});

describe('ports picked for servers that bind later', () => {
  it('lie below the ephemeral range, are free, distinct and never one excluded', async () => {
    const cluster = portsOf(await freeClusterPorts('a test cluster'));
    expect(new Set(cluster).size).toBe(13);
    const apps = await freeLowPorts(20, 'test apps', cluster);
    for (const port of [...cluster, ...apps]) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(32_768);
    }
    expect(new Set([...cluster, ...apps]).size).toBe(33);
    // Each is free: a server can bind it now.
    for (const port of apps) await listen(port);
  });
});
