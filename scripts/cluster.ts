/**
 * `npm run cluster`: the production topology on one machine. The real Temporal server (built
 * once from its Go module) on an embedded PostgreSQL, its frontend, history, matching and worker
 * services as separate processes, the Temporal Web UI, two worker processes and two API
 * processes, all supervised. Ctrl-C stops everything; the next run reuses the data
 * (<STATE_DIR>/pg/cluster). See README, "From one box to a city".
 */
import { join } from 'node:path';
import { startCluster, type Cluster } from './lib/cluster.js';
import { assertPortFree, portFromEnv as port } from './lib/ports.js';
import { STATE_DIR } from './lib/paths.js';
import { step } from './lib/log.js';
import { withoutPassword } from './lib/localStack.js';
import { clusterPorts, TEMPORAL_SERVICES } from './lib/temporalServer.js';
import { writeWorkflowBundle } from '../worker/bundle.js';
import { devPayloadKeys } from './lib/devPayloadKeys.js';
import { stopOnSignals } from './lib/stopSignals.js';

const startup = new AbortController();
let starting: Promise<Cluster> | undefined;
let stopping: Promise<never> | undefined;

/** Stops everything once, whatever asks first (Ctrl-C may come more than once). */
function shutdown(code: number): Promise<never> {
  stopping ??= (async () => {
    step('stopping …');
    startup.abort();
    const cluster = await starting?.catch(() => undefined);
    await cluster?.stop().catch((e: unknown) => step(`  ${(e as Error).message ?? String(e)}`));
    step('stopped');
    process.exit(code);
  })();
  return stopping;
}
stopOnSignals('cluster', shutdown, step);

try {
  const base = port('CLUSTER_PORT_BASE', 7400);
  const temporalPorts = clusterPorts(base);
  const apiBase = port('CLUSTER_API_PORT', 3100);
  const apiPorts: [number, number] = [apiBase, apiBase + 1];
  const uiPort = port('CLUSTER_UI_PORT', 8433);
  const pgPort = port('CLUSTER_PG_PORT', 5434);

  // Every port first, so a second `npm run cluster` stops before touching any file.
  const wanted: [number, string][] = [
    [pgPort, 'embedded PostgreSQL (CLUSTER_PG_PORT)'],
    [uiPort, 'Temporal Web UI (CLUSTER_UI_PORT)'],
    [temporalPorts.frontendHttp, 'Temporal frontend HTTP (CLUSTER_PORT_BASE)'],
    ...apiPorts.map((p, i): [number, string] => [p, `API ${i + 1} (CLUSTER_API_PORT)`]),
    ...TEMPORAL_SERVICES.flatMap((service): [number, string][] => [
      [temporalPorts.grpc[service], `Temporal ${service} gRPC (CLUSTER_PORT_BASE)`],
      [temporalPorts.membership[service], `Temporal ${service} membership (CLUSTER_PORT_BASE)`],
      [temporalPorts.metrics[service], `Temporal ${service} metrics (CLUSTER_PORT_BASE)`],
    ]),
  ];
  for (const [p, what] of wanted) await assertPortFree(p, what);

  const dir = join(STATE_DIR, 'cluster');
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  await writeWorkflowBundle(workflowBundlePath, (message) => step(`workflow bundle: ${message}`));
  step('workflows bundled');
  // As npm run dev: payloads are encrypted in Temporal, with a key made once beside the cluster's
  // data (PAYLOAD_KEYS in the environment takes precedence); the UI decodes through API 1's codec server.
  const payloadKeysFile = join(dir, 'payload-keys');
  const payloadKeys = process.env.PAYLOAD_KEYS ? undefined : await devPayloadKeys(payloadKeysFile);
  if (payloadKeys) step(`payload key ${payloadKeys.created ? 'created in' : 'read from'} ${payloadKeysFile}`);

  starting = startCluster({
    postgres: { cluster: 'cluster', port: pgPort },
    temporalPorts,
    shards: 4,
    apiPorts,
    uiPort,
    uiCodecEndpoint: `http://127.0.0.1:${apiPorts[0]}/codec`,
    workflowBundlePath,
    logDir: join(dir, 'logs'),
    appEnv: {
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      ...(payloadKeys ? { PAYLOAD_KEYS: payloadKeys.PAYLOAD_KEYS } : {}),
    },
    log: step,
    signal: startup.signal,
  });
  const cluster = await starting;
  const [api1, api2] = cluster.apiUrls;
  process.stdout.write(
    [
      '',
      'The Jiesu cluster is running:',
      `  API 1             ${api1}   (health: ${api1}/health/ready, docs: ${api1}/docs)`,
      `  API 2             ${api2}`,
      `  Temporal Web UI   ${cluster.uiUrl ?? '(not available: see README)'}`,
      `  Temporal frontend ${cluster.temporalAddress}   (namespace ${cluster.namespace}, 4 history shards)`,
      ...TEMPORAL_SERVICES.map(
        (s) => `  temporal ${s.padEnd(9)}pid ${cluster.temporal[s].pid}, metrics ${cluster.metricsUrls[s]}`,
      ),
      `  workers           pids ${cluster.workers.map((w) => w.pid).join(', ')}`,
      `  PostgreSQL        ${withoutPassword(cluster.databaseUrl)} (+ temporal, temporal_visibility)`,
      `  logs              ${join(dir, 'logs')}/<process>.log`,
      'Dev keys: dev-intake, dev-center, dev-unit-<unitId>, … Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
} catch (error) {
  if (!stopping) step(`cluster: ${(error as Error).message}`);
  await shutdown(1);
}
