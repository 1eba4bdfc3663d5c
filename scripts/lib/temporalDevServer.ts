import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { searchAttributeCliArgs } from './searchAttributes.js';
import { terminate } from './supervise.js';
import { waitForFrontend } from './temporalServer.js';

export interface DevServerOptions {
  cliPath: string;
  ip?: string;
  port: number;
  /** Omit for a headless server (tests). */
  uiPort?: number;
  /** A codec server the Web UI decodes payloads with (`/codec` of the API). */
  uiCodecEndpoint?: string;
  /** Omit for an in-memory server (tests); set for one whose open cases survive a restart. */
  dbFile?: string;
  namespace?: string;
  onLog?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with the project's search attributes and waits until
 * its frontend answers. SQLite runs in WAL mode with synchronous=NORMAL: far faster than the
 * default rollback journal, and a crash loses at most the last transactions, never the file.
 */
export async function startTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(options.port),
    '--namespace',
    options.namespace ?? 'default',
    '--log-level',
    'warn',
    // The activity a workflow task schedules comes back with the task's completion when the
    // worker has a free slot: no activity-queue poll and match in between.
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
    ...searchAttributeCliArgs(),
  ];
  if (options.uiPort) args.push('--ui-port', String(options.uiPort), '--ui-disable-news-fetch');
  if (options.uiPort && options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  else args.push('--headless');
  if (options.dbFile) {
    await mkdir(dirname(options.dbFile), { recursive: true });
    args.push(
      '--db-filename',
      options.dbFile,
      '--sqlite-pragma',
      'journal_mode=WAL',
      '--sqlite-pragma',
      'synchronous=NORMAL',
    );
  }
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-4000);
    if (options.onLog) for (const line of text.split('\n')) if (line.trim()) options.onLog(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`temporal server start-dev exited with ${signal ?? code}:\n${output}`)),
    );
    // A binary that cannot be run (ENOENT, EACCES) reports here, not through 'exit'.
    child.once('error', (error) => reject(new Error(`${options.cliPath} could not start: ${error.message}`)));
  });
  exited.catch(() => undefined);

  const address = `${ip}:${options.port}`;
  try {
    await Promise.race([waitForFrontend(address), exited]);
  } catch (error) {
    // Leave no server behind when it never answered.
    await terminate(child);
    throw error;
  }
  return {
    address,
    uiUrl: options.uiPort ? `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${options.uiPort}` : undefined,
    process: child,
    stop: () => terminate(child),
  };
}
