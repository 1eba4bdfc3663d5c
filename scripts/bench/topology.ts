/**
 * Which Temporal the benchmark measures against (`BENCH_TEMPORAL`):
 * - `dev`: the Temporal CLI dev server, in memory (the default) or, with `BENCH_DEV_STORE=file`,
 *   on a SQLite file of the run's own (removed at the end): its store then lives on disk, not in
 *   its memory, as `npm run dev` keeps it;
 * - `cluster`: the production topology of `npm run cluster`, the real Temporal server's four
 *   services on PostgreSQL with 4 history shards, on free ports of its own;
 * - `both`: the same mode once on each, one after the other, then the two side by side
 *   (scripts/bench/sideBySide.ts).
 * The worker, the API and the floors' worker run in the benchmark's process on either.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startLocalStack } from '../lib/localStack.js';
import { STATE_DIR } from '../lib/paths.js';
import { startTemporalCluster } from '../lib/cluster.js';
import { freeClusterPorts, TEMPORAL_SERVER_VERSION } from '../lib/temporalServer.js';

export const TOPOLOGIES = ['dev', 'cluster', 'both'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/** Where the dev server keeps its store (`BENCH_DEV_STORE`). */
export const DEV_STORES = ['memory', 'file'] as const;
export type DevStore = (typeof DEV_STORES)[number];

export interface BenchTemporal {
  databaseUrl: string;
  temporalAddress: string;
  /** What the table's title says the server was. */
  describe: string;
  stop(): Promise<void>;
}

/** History shards of the benchmark's cluster: as `npm run cluster` and the compose topology. */
const SHARDS = 4;

export async function startBenchTemporal(
  topology: Exclude<Topology, 'both'>,
  options: { namespace: string; devStore: DevStore; log: (message: string) => void; signal: AbortSignal },
): Promise<BenchTemporal> {
  if (topology === 'cluster') {
    const cluster = await startTemporalCluster({
      postgres: { cluster: 'bench-cluster', throwaway: true },
      temporalPorts: await freeClusterPorts('the benchmark cluster'),
      shards: SHARDS,
      logDir: join(STATE_DIR, 'bench', `cluster-${process.pid}`, 'logs'),
      namespace: options.namespace,
      log: options.log,
      signal: options.signal,
    });
    return {
      databaseUrl: cluster.databaseUrl,
      temporalAddress: cluster.temporalAddress,
      describe: `the Temporal server ${TEMPORAL_SERVER_VERSION} (four services on PostgreSQL, ${SHARDS} history shards)`,
      stop: () => cluster.stop(),
    };
  }
  // PostgreSQL: DATABASE_URL as given, or a fresh embedded cluster of this run's own (removed at
  // the end), so that every run lists from a table of the same size. Temporal: in memory, or on a
  // file of this run's own.
  const storeDir = join(STATE_DIR, 'bench', `dev-${process.pid}`);
  const dbFile = options.devStore === 'file' ? join(storeDir, 'temporal.sqlite') : undefined;
  const stack = await startLocalStack({
    postgres: { url: process.env.DATABASE_URL, cluster: 'bench', throwaway: true, database: 'jiesu' },
    temporal: { namespace: options.namespace, registerSearchAttributes: true, dbFile },
    log: options.log,
    signal: options.signal,
  });
  return {
    databaseUrl: stack.databaseUrl,
    temporalAddress: stack.temporalAddress,
    describe: `the Temporal CLI dev server (${dbFile ? 'on a SQLite file' : 'in memory'})`,
    stop: async () => {
      await stack.stop();
      if (dbFile) await rm(storeDir, { recursive: true, force: true });
    },
  };
}
