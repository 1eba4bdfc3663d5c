/**
 * Finding (or installing) a Docker Compose to validate the compose file with, and reading
 * its normalised `config` output. No Docker engine is needed for any of this.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { aptInstall, canAptInstall, succeeds } from './apt.js';

const execFileAsync = promisify(execFile);

/** A command to run compose with: `['docker-compose']` or `['docker', 'compose']`. */
export type ComposeCommand = string[];

/** The compose command available here, or null if there is none. */
export async function findDockerCompose(): Promise<ComposeCommand | null> {
  for (const candidate of [['docker-compose'], ['docker', 'compose']]) {
    if (await succeeds([...candidate, 'version'])) return candidate;
  }
  return null;
}

const INSTALL_HINT =
  "Install Docker Compose: Debian's `docker-compose` package " +
  '(`sudo apt-get install docker-compose`) or the Compose v2 plugin ' +
  "(`docker-compose-plugin` from Docker's apt repository), so that `docker-compose version` " +
  'or `docker compose version` works.';

/**
 * The compose command, installing Debian's `docker-compose` when there is none and this
 * process may (root, with apt-get). Throws with what to install otherwise.
 */
export async function ensureDockerCompose(log: (msg: string) => void): Promise<ComposeCommand> {
  const found = await findDockerCompose();
  if (found) return found;

  if (!(await canAptInstall())) throw new Error(`No Docker Compose found. ${INSTALL_HINT}`);
  log('Docker Compose not found');
  await aptInstall('docker-compose', log);

  const installed = await findDockerCompose();
  if (!installed) throw new Error(`docker-compose was installed but does not run. ${INSTALL_HINT}`);
  log(`Using ${installed.join(' ')}.`);
  return installed;
}

export interface ComposeRunOptions {
  cwd?: string;
  /** The environment compose interpolates `${VAR:-default}` from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Replaces the project's `.env` file (both v1 and v2 accept `--env-file`). */
  envFile?: string;
}

export interface ComposeResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `<compose> [--env-file F] ...args` and reports its exit code and output. */
export async function runCompose(
  compose: ComposeCommand,
  args: string[],
  options: ComposeRunOptions = {},
): Promise<ComposeResult> {
  const [cmd, ...pre] = compose;
  if (!cmd) throw new Error('empty compose command');
  const fullArgs = [...pre, ...(options.envFile ? ['--env-file', options.envFile] : []), ...args];
  try {
    const { stdout, stderr } = await execFileAsync(cmd, fullArgs, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    // A number is the exit status; a string (ENOENT, …) means it never ran.
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

/**
 * The normalised configuration (`config`): JSON where compose supports `--format json`
 * (v2), otherwise its YAML output, read with the `yaml` package.
 */
export async function readComposeConfig(
  compose: ComposeCommand,
  file: string,
  options: ComposeRunOptions = {},
): Promise<{ [key: string]: YamlValue }> {
  const json = await runCompose(compose, ['-f', file, 'config', '--format', 'json'], options);
  if (json.code === 0) {
    try {
      return JSON.parse(json.stdout) as { [key: string]: YamlValue };
    } catch {
      // Not JSON after all: fall through to the YAML output.
    }
  }
  const yaml = await runCompose(compose, ['-f', file, 'config'], options);
  if (yaml.code !== 0) {
    throw new Error(`${compose.join(' ')} config exited ${yaml.code}:\n${yaml.stderr}`);
  }
  // docker-compose v1 prints YAML 1.1 (PyYAML); v2 prints YAML 1.2, of which this is a superset here.
  const parsed = parseYaml(yaml.stdout, { version: '1.1' }) as YamlValue;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${compose.join(' ')} config did not print a mapping`);
  }
  return parsed;
}
