/**
 * What a cluster drill talks to: the two API processes over real HTTP, the cluster's processes
 * through the set-up's control server, its PostgreSQL and its Temporal frontend.
 */
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { createDb, type DbHandle } from '../../db/client.js';
import { TEST_KEYS, type Caller } from './api.js';

export interface Answer<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** One request to API replica `replica` (0 or 1) as `caller`, with an Idempotency-Key when given. */
export async function call<T = Record<string, unknown>>(
  replica: 0 | 1,
  caller: Caller,
  method: 'GET' | 'POST',
  path: string,
  payload?: object,
  key?: string,
): Promise<Answer<T>> {
  const res = await fetch(`${inject('clusterApiUrls')[replica]}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TEST_KEYS[caller].key}`,
      ...(payload ? { 'content-type': 'application/json' } : {}),
      ...(key ? { 'idempotency-key': key } : {}),
    },
    ...(payload ? { body: JSON.stringify(payload) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as T, text, headers: res.headers };
}

/** What a client does with a 503: waits briefly and sends the same request (same key) again. */
export async function untilAnswered<T>(
  send: () => Promise<Answer<T>>,
  timeoutMs: number,
  seen: Answer<T>[] = [],
): Promise<Answer<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await send().catch(
      (error: Error): Answer<T> => ({ status: 0, body: undefined as T, text: error.message, headers: new Headers() }),
    );
    seen.push(res);
    if ((res.status !== 503 && res.status !== 0) || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface ProcessState {
  pid: number | undefined;
  running: boolean;
  restarts: number;
}

/** The set-up's control server: `processes()`, `act('worker-1', 'kill')`, `deploy()`, `log('api-1')`. */
export const control = {
  async request<T>(method: 'GET' | 'POST', path: string): Promise<T> {
    const res = await fetch(`${inject('clusterControlUrl')}${path}`, { method });
    const body = (await res.json()) as T & { message?: string };
    if (!res.ok) throw new Error(`control ${method} ${path}: ${res.status} ${body.message ?? ''}`);
    return body;
  },
  processes(): Promise<Record<string, ProcessState>> {
    return control.request('GET', '/processes');
  },
  act(name: string, verb: 'kill' | 'stop' | 'start'): Promise<Record<string, ProcessState>> {
    return control.request('POST', `/processes/${name}/${verb}`);
  },
  deploy(): Promise<{ bundle: string; processes: Record<string, ProcessState> }> {
    return control.request('POST', '/deploy');
  },
  async log(name: string): Promise<string> {
    return (await control.request<{ log: string }>('GET', `/processes/${name}/log`)).log;
  },
  /** The last lines of every app process's log, for a failure message. */
  async logs(names = ['worker-1', 'worker-2', 'api-1', 'api-2', 'temporal-history']): Promise<string> {
    const parts = await Promise.all(names.map(async (n) => `--- ${n} ---\n${(await control.log(n)).slice(-3000)}`));
    return parts.join('\n');
  },
};

export interface Drill {
  db: DbHandle;
  connection: Connection;
  client: Client;
  close(): Promise<void>;
}

/** A drill's own connections to the cluster's PostgreSQL and Temporal. */
export async function connectDrill(): Promise<Drill> {
  const db = createDb(inject('clusterDatabaseUrl'), { max: 4 });
  const connection = await Connection.connect({ address: inject('clusterTemporalAddress') });
  return {
    db,
    connection,
    client: new Client({ connection }),
    close: async () => {
      await connection.close();
      await db.close();
    },
  };
}

export interface CaseBody {
  appealId: string;
  stage: string;
  overdue: boolean;
  leadUnitId?: string;
  deadlines: Record<string, string>;
  timeline: { type: string; at: string }[];
}

/**
 * Starts a case through replica `replica`; answers its appeal id. A start the API could not
 * confirm in time (503, or the connection lost) is sent again with the same key, and then the
 * case that first attempt started answers 200 `created: false`: the one case, not a second.
 */
export async function startCase(replica: 0 | 1, body: object): Promise<string> {
  const key = `start-${crypto.randomUUID()}`;
  const seen: Answer<{ case: CaseBody; created: boolean }>[] = [];
  const res = await untilAnswered(
    () => call<{ case: CaseBody; created: boolean }>(replica, 'intake', 'POST', '/v1/appeals', body, key),
    60_000,
    seen,
  );
  const retried = seen.length > 1;
  const started = res.status === 201 || (retried && res.status === 200 && res.body.created === false);
  if (!started) throw new Error(`start: ${res.status} ${res.text}`);
  return res.body.case.appealId;
}
