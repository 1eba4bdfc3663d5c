/**
 * Set-up of the cluster drills (`npm run test:cluster`): bundles the workflows, then starts one
 * cluster for the whole run with scripts/lib/cluster.ts (what `npm run cluster` runs), on free
 * ports and a throwaway PostgreSQL: the Temporal server's four services as processes, two
 * workers, two APIs (with the test keys). The drills run in other processes, so they act on the
 * cluster's processes through a small control server on loopback (test/support/clusterControl.ts).
 */
import { createServer, type Server } from 'node:http';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { STATE_DIR } from '../../scripts/lib/paths.js';
import { freeLowPorts, freePort } from '../../scripts/lib/ports.js';
import { step } from '../../scripts/lib/log.js';
import { freeClusterPorts, portsOf } from '../../scripts/lib/temporalServer.js';
import { writeWorkflowBundle } from '../../worker/bundle.js';
import { API_KEYS_JSON } from './keys.js';

/** Data directories are `<STATE_DIR>/pg/cluster-drills-<pid>` (a throwaway cluster of localStack.ts). */
const PG_PREFIX = 'cluster-drills';

declare module 'vitest' {
  export interface ProvidedContext {
    clusterApiUrls: [string, string];
    clusterTemporalAddress: string;
    clusterDatabaseUrl: string;
    clusterControlUrl: string;
  }
}

/** POST /processes/<name>/<kill|stop|start>, POST /deploy, GET /processes, GET /processes/<name>/log. */
function controlServer(cluster: Cluster, dir: string): Server {
  let deploys = 0;
  const state = () =>
    Object.fromEntries(
      [...cluster.processes].map(([name, p]) => [name, { pid: p.pid, running: p.running, restarts: p.restarts }]),
    );
  return createServer((req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const act = async (): Promise<unknown> => {
      const url = new URL(req.url ?? '/', 'http://control');
      const [, first, name, verb] = url.pathname.split('/');
      if (req.method === 'GET' && first === 'processes' && !name) return state();
      if (req.method === 'POST' && first === 'deploy') {
        // A new bundle, built now, at a new path: the workers roll onto it one at a time.
        const bundle = join(dir, `workflow-bundle-${process.pid}-deploy-${++deploys}.js`);
        await writeWorkflowBundle(bundle, (message) => step(`bundle: ${message}`));
        await cluster.deployWorkflowBundle(bundle);
        return { bundle, processes: state() };
      }
      const target = name ? cluster.processes.get(name) : undefined;
      if (first !== 'processes' || !target)
        throw Object.assign(new Error(`unknown: ${req.method} ${url.pathname}`), { status: 404 });
      if (req.method === 'GET' && verb === 'log') return { log: target.logTail(200) };
      if (req.method === 'POST' && verb === 'kill') await target.kill();
      else if (req.method === 'POST' && verb === 'stop') await target.stop();
      else if (req.method === 'POST' && verb === 'start') await target.start();
      else throw Object.assign(new Error(`unknown: ${req.method} ${url.pathname}`), { status: 404 });
      return state();
    };
    act().then(
      (body) => answer(200, body),
      (error: Error & { status?: number }) => answer(error.status ?? 500, { message: error.message }),
    );
  });
}

/**
 * The drills' cluster on ports of its own. A start that fails (a service of the Temporal server
 * that does not come up on a loaded machine) is tried once more on new ports, after saying why;
 * the first attempt's logs stay beside the second's.
 */
async function startDrillCluster(bundle: string, logDir: string): Promise<Cluster> {
  for (let attempt = 1; ; attempt++) {
    const temporalPorts = await freeClusterPorts('the cluster drills');
    const apiPorts = (await freeLowPorts(2, "the cluster drills' APIs", portsOf(temporalPorts))) as [number, number];
    try {
      return await startCluster({
        postgres: { cluster: PG_PREFIX, throwaway: true },
        temporalPorts,
        shards: 4,
        apiPorts,
        workflowBundlePath: bundle,
        logDir,
        appEnv: {
          API_KEYS: API_KEYS_JSON,
          NODE_ENV: 'test',
          LOG_LEVEL: 'info',
          // Short enough that an action held up by a drill answers 503 and the client retries it.
          WORKFLOW_TIMEOUT_MS: '10000',
        },
        log: (message) => step(`cluster: ${message}`),
      });
    } catch (error) {
      if (attempt >= 2) throw error;
      const kept = `${logDir}-attempt-${attempt}`;
      await rm(kept, { recursive: true, force: true });
      await rename(logDir, kept).catch(() => undefined);
      step(
        `cluster drills: the cluster did not start (logs in ${kept}); once more on new ports:\n${(error as Error).message}`,
      );
    }
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const dir = join(STATE_DIR, 'cluster-drills');
  await mkdir(dir, { recursive: true });
  const bundle = join(dir, `workflow-bundle-${process.pid}.js`);
  await writeWorkflowBundle(bundle, (message) => step(`bundle: ${message}`));
  // The last run's logs are kept until the next run, for a look after a red one.
  const logDir = join(dir, 'logs');
  await rm(logDir, { recursive: true, force: true });
  await rm(`${logDir}-attempt-1`, { recursive: true, force: true });

  const cluster = await startDrillCluster(bundle, logDir);
  step(`cluster drills: cluster up in ${Math.round((Date.now() - started) / 1000)} s (logs in ${logDir})`);

  const control = controlServer(cluster, dir);
  const controlPort = await freePort();
  await new Promise<void>((resolve) => control.listen(controlPort, '127.0.0.1', resolve));

  project.provide('clusterApiUrls', cluster.apiUrls);
  project.provide('clusterTemporalAddress', cluster.temporalAddress);
  project.provide('clusterDatabaseUrl', cluster.databaseUrl);
  project.provide('clusterControlUrl', `http://127.0.0.1:${controlPort}`);
  return async () => {
    await new Promise<void>((resolve) => control.close(() => resolve()));
    await cluster.stop();
    for (const file of await readdir(dir)) if (file.endsWith('.js')) await rm(join(dir, file), { force: true });
  };
}
