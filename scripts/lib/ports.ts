import { createServer } from 'node:net';

/** Resolves when `port` on `host` can be bound, otherwise rejects with a message naming who wants it. */
export function assertPortFree(port: number, what: string, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${port} (${what}) is already in use on ${host}: is another \`npm run dev\` running? Stop it, or choose another port (see README, "Environment variables").`
            : `cannot bind port ${port} (${what}): ${error.message}`,
        ),
      );
    });
    server.listen(port, host, () => server.close(() => resolvePromise()));
  });
}

/** The port in environment variable `name`, or `fallback` when it is unset; a value that is no port throws, naming the variable. */
export function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value <= 0 || value > 65535) throw new Error(`${name}=${raw} is not a valid port`);
  return value;
}

/** A free ephemeral port, for test servers. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

/**
 * `count` distinct ports below the system's ephemeral range (32,768 and up), free now and not in
 * `exclude` (ports picked for servers not yet started). For a server that binds minutes after the
 * pick: a port in the ephemeral range could meanwhile be taken by any outgoing connection.
 */
export async function freeLowPorts(count: number, what: string, exclude: Iterable<number> = []): Promise<number[]> {
  const taken = new Set(exclude);
  const picked: number[] = [];
  for (let tries = 0; picked.length < count; tries++) {
    if (tries >= 200) throw new Error(`no ${count} free ports below 32768 for ${what}`);
    const port = 10_000 + Math.floor(Math.random() * 22_768);
    if (taken.has(port)) continue;
    taken.add(port);
    if (
      await assertPortFree(port, what).then(
        () => true,
        () => false,
      )
    )
      picked.push(port);
  }
  return picked;
}

const TAKEN = /address already in use|EADDRINUSE/i;

/**
 * Launches a server on `given`, or on a free port when none is given. A free port is only free
 * when it is picked: a process starting beside this one (the Temporal dev server picks its
 * internal ports the same way) may bind it before the server does. Then another is picked, up
 * to `attempts` times; a port that was given is never replaced.
 */
export async function launchOnPort<T>(
  given: number | undefined,
  launch: (port: number) => Promise<T>,
  attempts = 3,
): Promise<T> {
  if (given !== undefined) return launch(given);
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(await freePort());
    } catch (error) {
      if (attempt >= attempts || !TAKEN.test(error instanceof Error ? error.message : String(error))) throw error;
    }
  }
}
