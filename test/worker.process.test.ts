/**
 * The worker as production runs it (`worker/main.ts` in its own process, the prebuilt workflow
 * bundle): it serves Prometheus metrics, runs appeals, and stops cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { until, waterOutage } from './support/api.js';
import { freePort } from '../scripts/lib/ports.js';
import { getAppealRecord } from '../db/queries/cases.js';
import { ROOT } from '../scripts/lib/paths.js';
import { appealWorkflowId, caseQuery, TASK_QUEUE, type WorkOrder } from '../workflows/appeal/definitions.js';

const taskQueue = `${TASK_QUEUE}-process`;
let database: TestDatabase;
let worker: ChildProcess;
let output = '';
let metricsUrl: string;
let connection: Connection;

beforeAll(async () => {
  database = await createTestDatabase();
  const metricsPort = await freePort();
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(
    () => output,
    (text) => text.includes('"worker started"'),
    30_000,
  );
  connection = await Connection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  if (worker.exitCode === null) worker.kill('SIGKILL');
  await connection?.close();
  await database?.drop();
});

describe('the worker process', () => {
  it('runs an appeal and serves its Prometheus metrics', async () => {
    const client = new Client({ connection });
    const appealId = `process-${Date.now()}`;
    const order: WorkOrder = { ...waterOutage(), appealId, receivedAt: new Date().toISOString() };
    const handle = await client.workflow.start('appealWorkflow', {
      taskQueue,
      workflowId: appealWorkflowId(appealId),
      args: [order],
    });
    // Its activities ran: the intake is in the case record; its workflow answers queries.
    const record = await until(
      () => getAppealRecord(database.db, appealId),
      (row) => row !== undefined,
    );
    expect(record).toMatchObject({ stage: 'triage', nextActor: 'center' });
    expect((await handle.query(caseQuery)).stage).toBe('triage');

    const metrics = await fetch(metricsUrl);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^temporal_workflow_task_execution_latency/m);
    expect(text).toContain(`task_queue="${taskQueue}"`);
    await handle.terminate('test over');
  });

  it('stops on SIGTERM after finishing its tasks, and says so', async () => {
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"worker stopped"');
    // Requester data never reached the log.
    expect(output).not.toContain('13900000000');
  });
});
