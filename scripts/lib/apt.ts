/** Installing a Debian package when this process may (root, with apt-get): for tools the tests need. */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Whether a command runs and exits 0 (not on PATH, a missing plugin … are `false`). */
export async function succeeds(argv: string[]): Promise<boolean> {
  const [cmd, ...args] = argv;
  if (!cmd) return false;
  try {
    await execFileAsync(cmd, args, { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion; keeps only the output's tail for the error message. */
export function runQuiet(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}

export const canAptInstall = async (): Promise<boolean> =>
  process.getuid?.() === 0 && (await succeeds(['apt-get', '--version']));

/** `apt-get install` of packages (after `apt-get update`, which the first install of a run needs). */
export async function aptInstall(pkg: string | string[], log: (msg: string) => void): Promise<void> {
  const pkgs = [pkg].flat();
  log(`installing Debian's ${pkgs.join(', ')}: apt-get update …`);
  await runQuiet('apt-get', ['update']);
  log(`apt-get install -y --no-install-recommends ${pkgs.join(' ')} …`);
  await runQuiet('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs]);
}
