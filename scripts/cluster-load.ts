/**
 * `npx tsx scripts/cluster-load.ts`: a bounded load on a running `npm run cluster`, for the
 * numbers in README "From one box to a city". Drives N water outages from intake to their
 * close over the two API replicas (alternating), C at a time, and reads the history service's
 * execution writes from its Prometheus endpoint before and after. Prints cases per second, the
 * latency of each action, and the writes (state transitions) per case and per second.
 *
 *   CLUSTER_LOAD_N=100 CLUSTER_LOAD_CONCURRENCY=8 npx tsx scripts/cluster-load.ts
 */
import { randomUUID } from 'node:crypto';
import { clusterPorts } from './lib/temporalServer.js';
import { waterOutage } from './lib/sampleAppeals.js';

const n = Number(process.env.CLUSTER_LOAD_N ?? 100);
const concurrency = Number(process.env.CLUSTER_LOAD_CONCURRENCY ?? 8);
const apiBase = Number(process.env.CLUSTER_API_PORT ?? 3100);
const apis = [`http://127.0.0.1:${apiBase}`, `http://127.0.0.1:${apiBase + 1}`];
const historyMetrics = `http://127.0.0.1:${clusterPorts(Number(process.env.CLUSTER_PORT_BASE ?? 7400)).metrics.history}/metrics`;

const latencies = new Map<string, number[]>();
let turn = 0;

async function post(key: string, path: string, action: string, body: object): Promise<{ case?: { appealId: string } }> {
  const api = apis[turn++ % apis.length]!;
  // A retry after a 503 is the same request: the same key.
  const idempotencyKey = `${action}-${randomUUID()}`;
  for (let attempt = 0; ; attempt++) {
    const started = performance.now();
    const res = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.ok) {
      latencies.set(action, [...(latencies.get(action) ?? []), performance.now() - started]);
      return JSON.parse(text) as { case?: { appealId: string } };
    }
    if (res.status !== 503 || attempt > 5) throw new Error(`${action}: ${res.status} ${text}`);
  }
}

async function oneCase(): Promise<void> {
  const started = await post('dev-intake', '/v1/appeals', 'start', waterOutage());
  const id = started.case!.appealId;
  await post('dev-center', `/v1/appeals/${id}/triage`, 'triage', { disposition: 'dispatch' });
  await post('dev-unit-beijing-water', `/v1/appeals/${id}/accept`, 'accept', {});
  await post('dev-unit-beijing-water', `/v1/appeals/${id}/result`, 'result', {
    outcome: 'resolved',
    summary: '已恢复供水',
  });
  await post('dev-center', `/v1/appeals/${id}/callback`, 'callback', {
    reached: true,
    contacted: true,
    resolved: true,
    satisfaction: 'satisfied',
    channel: 'phone',
  });
}

/** The history service's execution writes (creates and updates: one per state transition), count and seconds. */
async function executionWrites(): Promise<{ count: number; seconds: number }> {
  const text = await (await fetch(historyMetrics)).text();
  const total = (metric: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${metric}{`) && /operation="(Create|Update)WorkflowExecution"/.test(line))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  return { count: total('persistence_latency_count'), seconds: total('persistence_latency_sum') };
}

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};

const writesBefore = await executionWrites();
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next += 1;
      await oneCase();
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
// The history service reports its metrics every few seconds.
await new Promise((r) => setTimeout(r, 5000));
const writesAfter = await executionWrites();
const writes = writesAfter.count - writesBefore.count;
const writeMs = ((writesAfter.seconds - writesBefore.seconds) / Math.max(1, writes)) * 1000;
console.log(
  `${n} cases closed in ${seconds.toFixed(1)} s with ${concurrency} in flight: ${(n / seconds).toFixed(2)} cases/s`,
);
for (const [action, values] of latencies)
  console.log(
    `  ${action.padEnd(9)} p50 ${quantile(values, 0.5).toFixed(0)} ms  p95 ${quantile(values, 0.95).toFixed(0)} ms  (${values.length})`,
  );
console.log(
  `  history execution writes (state transitions): ${writes}, ${(writes / n).toFixed(1)} per case, ` +
    `${(writes / seconds).toFixed(1)}/s over 4 shards, ${writeMs.toFixed(1)} ms each on average`,
);
