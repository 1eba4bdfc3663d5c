/**
 * With PAYLOAD_KEYS configured, the server's history holds no personal data in clear, and the
 * codec server gives it back to a supervisor (the Temporal UI's remote codec pattern).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { API_KEYS_JSON, as, waterOutage } from './support/api.js';
import { connectDevServer, workflowBundle } from './support/temporal.js';
import { testLogger } from './support/logger.js';
import { createWorker } from '../worker/createWorker.js';
import { buildServer } from '../api/buildServer.js';
import { loadApiConfig } from '../api/config.js';
import { ENCRYPTED_ENCODING, newPayloadKey, payloadCodecFromConfig } from '../platform/payloadCodec.js';
import { appealWorkflowId, TASK_QUEUE } from '../workflows/appeal/definitions.js';

const UI_ORIGIN = 'http://ui.example:8233';
const PAYLOAD_KEYS = `test-1:${newPayloadKey()}`;
const taskQueue = `${TASK_QUEUE}-payload-codec`;

let database: TestDatabase;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  env = await connectDevServer();
  worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue,
    db: database.db,
    log: testLogger,
    workflowBundle: workflowBundle(),
    payloadCodec: payloadCodecFromConfig({ PAYLOAD_KEYS }),
  });
  running = worker.run();
  app = await buildServer(
    loadApiConfig({
      API_KEYS: API_KEYS_JSON,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      PAYLOAD_KEYS,
      CODEC_CORS_ORIGINS: UI_ORIGIN,
    }),
  );
});
afterAll(async () => {
  await app?.close();
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.drop();
});

// Made-up data unique to this run, so a match can only come from this case.
const unique = String(Date.now()).slice(-8);
const requester = { name: `欧阳${unique}`, phone: `137${unique}` };
const content = `小区停水第${unique}天，物业不管`;

type JsonPayload = { metadata: Record<string, string>; data: string };
const asJson = (p: proto.temporal.api.common.v1.IPayload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

let workflowId: string;

describe('payloads encrypted in the server (PAYLOAD_KEYS)', () => {
  it('keeps the name, the phone and the content out of the raw history, the search attributes and the summary', async () => {
    const started = await as(
      app,
      'intake',
    )({
      method: 'POST',
      url: '/v1/appeals',
      payload: { ...waterOutage(), requester, content },
    });
    expect(started.statusCode, started.body).toBe(201);
    const appealId = started.json<{ case: { appealId: string } }>().case.appealId;
    workflowId = appealWorkflowId(appealId);
    // An Update with its argument, an activity or two, and a query answer: all through the codec.
    const triaged = await as(
      app,
      'center',
    )({
      method: 'POST',
      url: `/v1/appeals/${appealId}/triage`,
      payload: { disposition: 'dispatch' },
    });
    expect(triaged.statusCode, triaged.body).toBe(200);
    const read = await as(app, 'center')({ method: 'GET', url: `/v1/appeals/${appealId}` });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.body).toContain(requester.phone);

    // The test environment's client has no codec: it sees what the server stores.
    const handle = env.client.workflow.getHandle(workflowId);
    const history = await handle.fetchHistory();
    const raw = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
    const described = await env.client.workflowService.describeWorkflowExecution({
      namespace: 'default',
      execution: { workflowId },
    });
    const rawDescription = Buffer.from(
      proto.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.encode(described).finish(),
    );
    expect(history.events!.length).toBeGreaterThan(5);
    for (const needle of [requester.name, requester.phone, content, `${unique}天`]) {
      expect(raw.includes(Buffer.from(needle)), `${needle} in the history`).toBe(false);
      expect(rawDescription.includes(Buffer.from(needle)), `${needle} in the description`).toBe(false);
    }
    // Every payload of the start is ciphertext, its user metadata (summary, details) too.
    const startedEvent = history.events![0]!.workflowExecutionStartedEventAttributes!;
    const metadata = history.events![0]!.userMetadata!;
    for (const p of [...startedEvent.input!.payloads!, metadata.summary!, metadata.details!])
      expect(Buffer.from(p.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    // The search attributes name the category and place, never the requester.
    const attributes = JSON.stringify(described.workflowExecutionInfo?.searchAttributes);
    expect(attributes).toContain(Buffer.from('"utilities.water.outage"').toString('base64'));
  });

  it('decodes through the codec server for a supervisor key, and for no one else', async () => {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const first = history.events![0]!;
    const payloads = [
      ...first.workflowExecutionStartedEventAttributes!.input!.payloads!,
      first.userMetadata!.details!,
    ].map(asJson);
    const decode = (caller: Parameters<typeof as>[1]) =>
      as(
        app,
        caller,
      )({
        method: 'POST',
        url: '/codec/decode',
        headers: { origin: UI_ORIGIN, 'x-namespace': 'default' },
        payload: { payloads },
      });

    const supervisor = await decode('supervisor');
    expect(supervisor.statusCode, supervisor.body).toBe(200);
    expect(supervisor.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    const [input, details] = supervisor.json<{ payloads: JsonPayload[] }>().payloads.map((p) =>
      defaultPayloadConverter.fromPayload({
        metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        data: Buffer.from(p.data, 'base64'),
      }),
    );
    expect(input).toMatchObject({ requester, content });
    expect(details).toBe(content);
    expect((await decode('center')).statusCode).toBe(200);

    const unit = await decode('water');
    expect(unit.statusCode).toBe(403);
    expect(unit.body).not.toContain(requester.name);
    const anonymous = await decode(undefined);
    expect(anonymous.statusCode).toBe(401);
    // The UI can read the refusal: it carries the CORS headers too.
    expect(anonymous.headers['access-control-allow-origin']).toBe(UI_ORIGIN);

    // Encoding is the inverse: what it encrypts decodes to the same payload.
    const encoded = await as(
      app,
      'supervisor',
    )({
      method: 'POST',
      url: '/codec/encode',
      payload: { payloads: [asJson(defaultPayloadConverter.toPayload('hello'))] },
    });
    expect(encoded.statusCode, encoded.body).toBe(200);
    const back = await as(app, 'supervisor')({ method: 'POST', url: '/codec/decode', payload: encoded.json() });
    expect(back.json<{ payloads: JsonPayload[] }>().payloads[0]!.data).toBe(Buffer.from('"hello"').toString('base64'));

    const tampered = encoded.json<{ payloads: JsonPayload[] }>();
    tampered.payloads[0]!.data = Buffer.from('x'.repeat(40)).toString('base64');
    const refused = await as(app, 'supervisor')({ method: 'POST', url: '/codec/decode', payload: tampered });
    expect(refused.statusCode).toBe(400);

    // No payloads at all, as the Temporal CLI sends a query's arguments: `{}`, answered with none.
    for (const name of ['encode', 'decode']) {
      const none = await as(app, 'supervisor')({ method: 'POST', url: `/codec/${name}`, payload: {} });
      expect(none.statusCode, none.body).toBe(200);
      expect(none.json()).toEqual({ payloads: [] });
    }
  });

  it("answers the CORS preflight for the UI's origin only", async () => {
    const preflight = (origin: string) =>
      app.inject({
        method: 'OPTIONS',
        url: '/codec/decode',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-namespace',
        },
      });
    const ui = await preflight(UI_ORIGIN);
    expect(ui.statusCode).toBe(204);
    expect(ui.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(ui.headers['access-control-allow-methods']).toContain('POST');
    expect(String(ui.headers['access-control-allow-headers'])).toMatch(/authorization.*content-type.*x-namespace/);
    const other = await preflight('http://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
