/**
 * Keeps one child process running: when it exits without being asked to, it is started again
 * after a delay that doubles with every quick failure (1 s, 2 s, 4 s … up to a cap) and goes
 * back to the first delay once a run has lasted long enough. Every start and exit is logged
 * with the child's label, its pid and its exit code or signal.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface SuperviseOptions {
  /** Names the child in log lines ("worker", "API"). */
  label: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: SpawnOptions['stdio'];
  log: (message: string) => void;
  /** First delay before a restart (default 1 s); doubled after every quick failure. */
  initialDelayMs?: number;
  /** Longest delay between restarts (default 30 s). */
  maxDelayMs?: number;
  /** A run at least this long counts as healthy: the next delay is the first again (default 30 s). */
  resetAfterMs?: number;
  /** SIGTERM, then SIGKILL after this long (default 5 s). */
  stopGraceMs?: number;
  /** Why the child ended, as its own output tells it, added to the exit's log line. */
  exitReason?: () => string | undefined;
}

export interface Supervised {
  readonly label: string;
  /** The current child's pid (undefined while waiting to restart or after stop). */
  readonly pid: number | undefined;
  /** How many times the child was started again after an exit. */
  readonly restarts: number;
  /** Stops the child and any pending restart; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

/** "exit code 1" or "signal SIGKILL", for log lines. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
}

export function supervise(options: SuperviseOptions): Supervised {
  const initialDelay = options.initialDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const resetAfter = options.resetAfterMs ?? 30_000;
  const grace = options.stopGraceMs ?? 5000;

  let child: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let stopping: Promise<void> | undefined;
  let restarts = 0;
  let quickFailures = 0;

  const start = (): void => {
    timer = undefined;
    if (stopped) return;
    const startedAt = Date.now();
    const current = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.stdio ?? ['ignore', 'inherit', 'inherit'],
    });
    child = current;
    let ended = false;
    const ended$ = (how: string): void => {
      if (ended) return;
      ended = true;
      if (child === current) child = undefined;
      if (stopped) return;
      quickFailures = Date.now() - startedAt >= resetAfter ? 0 : quickFailures + 1;
      const delay = Math.min(maxDelay, initialDelay * 2 ** Math.max(0, quickFailures - 1));
      restarts += 1;
      const reason = options.exitReason?.();
      options.log(
        `${options.label} (pid ${current.pid ?? '-'}) ${how}${reason ? ` (${reason})` : ''}; restarting in ${formatDelay(delay)}`,
      );
      timer = setTimeout(start, delay);
    };
    // A spawn failure (ENOENT, EACCES) comes as 'error' without 'exit': treat it as an exit.
    current.once('error', (error) => ended$(`could not start: ${error.message}`));
    current.once('exit', (code, signal) => ended$(`exited with ${describeExit(code, signal)}`));
    if (current.pid !== undefined) options.log(`${options.label} started (pid ${current.pid})`);
  };

  start();

  return {
    label: options.label,
    get pid() {
      return child?.pid;
    },
    get restarts() {
      return restarts;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      stopping ??= child ? terminate(child, grace) : Promise.resolve();
      return stopping;
    },
  };
}

const formatDelay = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** SIGTERM, SIGKILL after `graceMs`; resolves when the process has exited (at once if it has). */
export function terminate(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}
