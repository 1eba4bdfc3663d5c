/**
 * The compose stack, checked through compose's own normalised `config` output (anchors
 * merged, `${VAR:-default}` interpolated), so the assertions hold for what would really run.
 * No Docker engine is needed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureDockerCompose,
  readComposeConfig,
  runCompose,
  type ComposeCommand,
  type ComposeRunOptions,
  type YamlValue,
} from '../scripts/lib/dockerCompose.js';
import { ROOT } from '../scripts/lib/paths.js';
import {
  DYNAMIC_CONFIG_FILE,
  TEMPORAL_CONFIG_ENV,
  TEMPORAL_DEPLOY_DIR,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_VERSION,
  temporalServiceCommand,
  clusterPorts,
} from '../scripts/lib/temporalServer.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { DEFAULT_BUNDLE_PATH } from '../worker/bundle.js';

const FILE = join(ROOT, 'docker-compose.yml');
const APP_SERVICES = ['setup', 'api', 'worker'] as const;

type Obj = { [key: string]: YamlValue };

function obj(value: YamlValue | undefined, what: string): Obj {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${what} is not a mapping: ${JSON.stringify(value)}`);
  }
  return value;
}

/** A scalar as compose would hand it to the container: always a string. */
function str(value: YamlValue | undefined): string {
  if (value !== null && typeof value === 'object') {
    throw new Error(`expected a scalar, got ${JSON.stringify(value)}`);
  }
  return String(value);
}

/** `environment` as a map, whether compose printed a map or a `KEY=value` list. */
function environment(service: Obj): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry): [string, string] => {
        const [key = '', ...rest] = str(entry).split('=');
        return [key, rest.join('=')];
      }),
    );
  }
  return Object.fromEntries(Object.entries(obj(env ?? {}, 'environment')).map(([k, v]) => [k, str(v)]));
}

/** Published ports as `{ published, target }`, from short (`ip:host:container/proto`) or long syntax. */
function ports(service: Obj): { published: string; target: string; hostIp?: string }[] {
  const list = service.ports;
  if (!Array.isArray(list)) return [];
  return list.map((port) => {
    if (typeof port === 'string') {
      const parts = port.replace(/\/\w+$/, '').split(':');
      const target = parts.pop()!;
      const published = parts.pop() ?? '';
      return { published, target, hostIp: parts.pop() };
    }
    const p = obj(port, 'port');
    const hostIp = p.host_ip === undefined ? undefined : str(p.host_ip);
    return { published: str(p.published), target: str(p.target), hostIp };
  });
}

/** depends_on as `{ service: condition }` (the short list form means service_started). */
function dependsOn(service: Obj): Record<string, string> {
  const deps = service.depends_on;
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [str(d), 'service_started']));
  return Object.fromEntries(
    Object.entries(obj(deps ?? {}, 'depends_on')).map(([name, d]) => [
      name,
      str(obj(d, `depends_on.${name}`).condition),
    ]),
  );
}

function command(service: Obj): string {
  const cmd = service.command;
  return Array.isArray(cmd) ? cmd.map(str).join(' ') : str(cmd);
}

function entrypoint(service: Obj): string {
  const cmd = service.entrypoint;
  return Array.isArray(cmd) ? cmd.map(str).join(' ') : str(cmd);
}

/** Bind mounts as `{ source, target }` (compose's normalised long form, or the short string). */
function mounts(service: Obj): { source: string; target: string }[] {
  const list = Array.isArray(service.volumes) ? service.volumes : [];
  return list.map((v) => {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':');
      return { source, target };
    }
    const m = obj(v, 'volume');
    return { source: str(m.source), target: str(m.target) };
  });
}

function healthTest(service: Obj): string {
  const test = obj(service.healthcheck, 'healthcheck').test;
  return Array.isArray(test) ? test.map(str).join(' ') : str(test);
}

describe('docker-compose.yml', () => {
  let compose: ComposeCommand;
  let scratch: string;
  let options: ComposeRunOptions;
  let services: Obj;
  const service = (name: string): Obj => obj(services[name], `service ${name}`);

  beforeAll(async () => {
    compose = await ensureDockerCompose((msg) => console.log(`[compose.test] ${msg}`));
    // Only the file's own defaults: no caller variables, no local .env file.
    scratch = mkdtempSync(join(tmpdir(), 'jiesu-compose-'));
    const envFile = join(scratch, 'empty.env');
    writeFileSync(envFile, '');
    // DOCKER_CONFIG stays: it is where `docker compose` finds its plugin.
    const { PATH, HOME, DOCKER_CONFIG } = process.env;
    options = { cwd: ROOT, envFile, env: { PATH, HOME, DOCKER_CONFIG } };
    services = obj((await readComposeConfig(compose, FILE, options)).services, 'services');
  }, 600_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('is valid: `config` exits 0', async () => {
    const result = await runCompose(compose, ['-f', FILE, 'config', '--quiet'], options);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code, result.stderr).toBe(0);
  });

  it('defines the production topology', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal-schema', 'temporal', 'temporal-ui', 'setup', 'api', 'worker']),
    );
  });

  it('runs setup, api and worker from one image built from the project Dockerfile', () => {
    const [first, ...others] = APP_SERVICES.map(service);
    expect(obj(first!.build, 'build')).toMatchObject({ context: ROOT, dockerfile: 'Dockerfile' });
    expect(first!.image).toEqual(expect.any(String));
    for (const other of others) {
      expect(other.build).toEqual(first!.build);
      expect(other.image).toBe(first!.image);
    }
    expect(command(service('setup'))).toBe('npx tsx scripts/setup-cluster.ts');
    expect(command(service('api'))).toBe('npx tsx api/server.ts');
    expect(command(service('worker'))).toBe('npx tsx worker/main.ts');
  });

  it('gives the app services the same connection settings', () => {
    const [setup, api, worker] = APP_SERVICES.map((name) => environment(service(name)));
    const shared = [
      'DATABASE_URL',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_TASK_QUEUE',
      'LOG_LEVEL',
    ] as const;
    for (const key of shared) {
      expect(api![key], key).toBeTruthy();
      expect(worker![key], key).toBe(api![key]);
      expect(setup![key], key).toBe(api![key]);
    }
    expect(api!.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(api!.TEMPORAL_NAMESPACE).toBe('default');
    expect(api!.DATABASE_URL).toMatch(/^postgres(ql)?:\/\/[^/]+@postgresql:5432\/jiesu$/);
    expect(api!.HOST).toBe('0.0.0.0');
    expect(api!.PORT).toBe('3000');
  });

  it('defaults the task queue to the one the code uses', () => {
    expect(environment(service('worker')).TEMPORAL_TASK_QUEUE).toBe(TASK_QUEUE);
  });

  it('publishes the API on 3000 and the Web UI on 8080', () => {
    expect(ports(service('api'))).toContainEqual(expect.objectContaining({ published: '3000', target: '3000' }));
    expect(ports(service('temporal-ui'))).toContainEqual(
      expect.objectContaining({ published: '8080', target: '8080' }),
    );
    expect(environment(service('temporal-ui')).TEMPORAL_ADDRESS).toBe('temporal:7233');
    // Temporal's gRPC port stays on the host's loopback; the database is not published.
    expect(ports(service('temporal'))).toEqual([{ published: '7233', target: '7233', hostIp: '127.0.0.1' }]);
    expect(ports(service('postgresql'))).toEqual([]);
  });

  it('gives the API its hashed key file (it refuses to start without keys outside development)', () => {
    const api = service('api');
    const file = environment(api).API_KEYS_FILE;
    expect(file).toBeTruthy();
    const mounts = (Array.isArray(api.volumes) ? api.volumes : []).map((v) =>
      typeof v === 'string' ? v : str(obj(v, 'volume').target),
    );
    expect(mounts.some((m) => m === file || m.split(':')[1] === file)).toBe(true);
  });

  it('gives the worker the workflow bundle that the image builds', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const workdir = /^WORKDIR\s+(\S+)/m.exec(dockerfile)?.[1];
    expect(dockerfile).toMatch(/^RUN npm run build:workflows$/m);
    expect(dockerfile.indexOf('RUN npm run build:workflows')).toBeGreaterThan(dockerfile.indexOf('COPY . .'));
    expect(environment(service('worker')).WORKFLOW_BUNDLE_PATH).toBe(
      `${workdir}/${relative(ROOT, DEFAULT_BUNDLE_PATH)}`,
    );
  });

  it('checks the worker through the metrics endpoint it is told to serve', () => {
    const address = environment(service('worker')).WORKER_METRICS_ADDRESS;
    const port = address?.split(':')[1];
    expect(port).toMatch(/^\d+$/);
    expect(healthTest(service('worker'))).toContain(`:${port}/metrics`);
  });

  it('checks the API through its readiness endpoint', () => {
    expect(healthTest(service('api'))).toContain('/health/ready');
  });

  it('starts things in order: postgresql → temporal-schema → temporal → setup → api, worker', () => {
    expect(dependsOn(service('temporal-schema'))).toEqual({ postgresql: 'service_healthy' });
    expect(str(service('temporal-schema').restart)).toBe('no');
    expect(dependsOn(service('temporal'))).toEqual({
      postgresql: 'service_healthy',
      'temporal-schema': 'service_completed_successfully',
    });
    expect(dependsOn(service('setup'))).toMatchObject({
      postgresql: 'service_healthy',
      temporal: 'service_healthy',
    });
    for (const name of ['api', 'worker']) {
      expect(dependsOn(service(name))).toEqual({ setup: 'service_completed_successfully' });
    }
    // The one-shot job must not be restarted after it exits.
    expect(str(service('setup').restart)).toBe('no');
    expect(healthTest(service('postgresql'))).toContain('pg_isready');
    expect(healthTest(service('temporal'))).toContain('temporal operator cluster health');
  });

  it('pins the Temporal images to the versions `npm run cluster` builds and points Temporal at postgresql', () => {
    expect(service('postgresql').image).toBe('postgres:17');
    expect(service('temporal').image).toBe(`temporalio/auto-setup:${TEMPORAL_SERVER_VERSION}`);
    expect(service('temporal-schema').image).toBe(service('temporal').image);
    expect(service('temporal-ui').image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
    for (const name of ['temporal', 'temporal-schema']) {
      expect(environment(service(name)), name).toMatchObject({
        POSTGRES_SEEDS: 'postgresql',
        DB_PORT: '5432',
        POSTGRES_USER: environment(service('postgresql')).POSTGRES_USER,
      });
    }
  });

  it('runs Temporal on the configuration `npm run cluster` uses: the same files, mounted', () => {
    // deploy/temporal is mounted whole; the server and the schema job read it there.
    const mountOf = (name: string) => mounts(service(name)).find((m) => m.source === TEMPORAL_DEPLOY_DIR);
    for (const name of ['temporal', 'temporal-schema']) expect(mountOf(name), name).toBeDefined();
    const inside = (file: string) => `${mountOf('temporal')!.target}/${relative(TEMPORAL_DEPLOY_DIR, file)}`;
    const local = temporalServiceCommand('temporal-server', 'frontend', {}, clusterPorts());
    const config = local.args[local.args.indexOf('--config') + 1]!;
    const server = entrypoint(service('temporal'));
    // The same config folder (relative to the root) and environment name as the local run.
    expect(server).toContain(`--root ${mountOf('temporal')!.target.replace(/\/temporal$/, '')}`);
    expect(server).toContain(`--config ${relative('deploy', config)}`);
    expect(server).toContain(`--env ${TEMPORAL_CONFIG_ENV}`);
    expect(environment(service('temporal')).DYNAMIC_CONFIG_FILE_PATH).toBe(inside(DYNAMIC_CONFIG_FILE));
    expect(entrypoint(service('temporal-schema'))).toBe(`sh ${inside(join(TEMPORAL_DEPLOY_DIR, 'setup-schema.sh'))}`);
    expect(readFileSync(join(ROOT, config, `${TEMPORAL_CONFIG_ENV}.yaml`), 'utf8')).toMatch(/^# enable-template/);
  });

  it('keeps the database on a named volume and creates the jiesu database on first start', () => {
    const volumes = service('postgresql').volumes;
    expect(Array.isArray(volumes)).toBe(true);
    const mounts = (volumes as YamlValue[]).map((v) =>
      typeof v === 'string' ? v : `${str(obj(v, 'volume').source)}:${str(obj(v, 'volume').target)}`,
    );
    expect(mounts.some((m) => /^postgres-data:\/var\/lib\/postgresql\/data/.test(m))).toBe(true);
    expect(mounts).toContainEqual(expect.stringMatching(/deploy\/postgres\/initdb:\/docker-entrypoint-initdb\.d/));
  });

  it('takes passwords from the environment, one value everywhere it is used', async () => {
    const config = await readComposeConfig(compose, FILE, {
      ...options,
      env: { ...options.env, POSTGRES_PASSWORD: 'pg-secret', JIESU_DB_PASSWORD: 'app-secret' },
    });
    const svc = (name: string) => obj(obj(config.services, 'services')[name], name);
    expect(environment(svc('postgresql')).POSTGRES_PASSWORD).toBe('pg-secret');
    expect(environment(svc('temporal')).POSTGRES_PWD).toBe('pg-secret');
    expect(environment(svc('temporal-schema')).POSTGRES_PWD).toBe('pg-secret');
    expect(environment(svc('postgresql')).JIESU_DB_PASSWORD).toBe('app-secret');
    for (const name of APP_SERVICES) {
      expect(environment(svc(name)).DATABASE_URL).toBe('postgres://jiesu:app-secret@postgresql:5432/jiesu');
    }
  });
});
