/**
 * Webhooks to unit systems against a real HTTP receiver and PostgreSQL: the activity on its
 * own (attempt numbers set by MockActivityEnvironment), then end to end through the API, the
 * dev server and the worker. These endpoints have plain-string secrets, so they also get the
 * legacy `x-jiesu-*` headers checked here; test/notifications.test.ts verifies the Standard
 * Webhooks headers with the `standardwebhooks` library and covers the other audiences.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import {
  createNotificationActivities,
  deliveryIdOf,
  verifyWebhookSignature,
  type Notification,
} from '../activities/notifications/index.js';
import { getDelivery, upsertEndpoint } from '../db/queries/webhooks.js';
import type { WebhookPayload } from '../db/schema/webhooks.js';
import { TASK_QUEUE } from '../workflows/appeal/definitions.js';
import { ErrorType } from '../domain/errors.js';
import { WEBHOOK_MAX_ATTEMPTS } from '../domain/notifications.js';
import { as, startApiWorld, until, waterOutage, type ApiWorld } from './support/api.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { failureOf } from './support/failures.js';
import { capturingLogger } from './support/logger.js';
import { Receiver, type Received } from './support/receiver.js';

const SECRET = 'water-webhook-secret-0123456789';
const taskQueue = `${TASK_QUEUE}-webhooks`;

/** Everything the activity logs, to check that no secret is in it. */
const { log, lines: logLines } = capturingLogger();

let database: TestDatabase;
let receiver: Receiver;
let notifications: ReturnType<typeof createNotificationActivities>;

beforeAll(async () => {
  database = await createTestDatabase();
  receiver = new Receiver();
  await receiver.start();
  notifications = createNotificationActivities({ db: database.db, log, webhookTimeoutMs: 1_000 });
});
afterAll(async () => {
  await receiver?.stop();
  await database?.drop();
});
beforeEach(() => receiver.reset());

let seq = 0;
const notification = (overrides: Partial<Notification> = {}): Notification => ({
  appealId: `wh-${Date.now()}-${++seq}`,
  notificationKey: '3:unit:beijing-water:dispatched',
  to: 'unit:beijing-water',
  kind: 'dispatched',
  message: 'Appeal is yours: accept by tomorrow.',
  ...overrides,
});

/** Runs `notify` as the given attempt of the activity (the SDK's "activity failed" warnings stay quiet). */
const sdkLogger = new DefaultLogger('ERROR');
const notifyAt = (attempt: number, n: Notification) =>
  new MockActivityEnvironment({ attempt }, { logger: sdkLogger }).run(
    (input: Notification) => notifications.notify(input),
    n,
  );

const signatureOf = (r: Received) => ({
  timestamp: String(r.headers['x-jiesu-timestamp']),
  signature: String(r.headers['x-jiesu-signature']),
});

describe('notify activity: webhook delivery', () => {
  beforeAll(async () => {
    await upsertEndpoint(database.db, { unitId: 'beijing-water', url: receiver.url, secret: SECRET, enabled: true });
  });

  it('POSTs a signed delivery with a deterministic delivery id, and records it', async () => {
    const n = notification();
    await expect(notifyAt(1, n)).resolves.toEqual({ webhook: 'delivered' });

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    const deliveryId = deliveryIdOf(n.appealId, n.notificationKey);
    expect(deliveryId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['x-jiesu-delivery']).toBe(deliveryId);
    expect(request!.headers['webhook-id']).toBe(deliveryId);
    const { timestamp, signature } = signatureOf(request!);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, timestamp, request!.body, signature)).toBe(true);
    expect(JSON.parse(request!.body)).toEqual({
      deliveryId,
      appealId: n.appealId,
      audience: 'unit',
      unitId: 'beijing-water',
      kind: 'dispatched',
      message: n.message,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
    } satisfies WebhookPayload);

    const row = await getDelivery(database.db, { deliveryId });
    expect(row).toMatchObject({
      status: 'delivered',
      attempts: 1,
      lastStatusCode: 200,
      unitId: 'beijing-water',
      appealId: n.appealId,
    });
    expect(row!.deliveredAt).toBeInstanceOf(Date);
    expect(logLines.join('\n')).not.toContain(SECRET);
  });

  it('refuses a wrong secret, a changed body, a changed timestamp and a malformed header', async () => {
    await notifyAt(1, notification());
    const [request] = receiver.received;
    const { timestamp, signature } = signatureOf(request!);
    expect(verifyWebhookSignature(SECRET, timestamp, request!.body, signature)).toBe(true);
    expect(verifyWebhookSignature('another-secret-of-16+chars', timestamp, request!.body, signature)).toBe(false);
    expect(
      verifyWebhookSignature(SECRET, timestamp, request!.body.replace('dispatched', 'escalation'), signature),
    ).toBe(false);
    expect(verifyWebhookSignature(SECRET, String(Number(timestamp) + 1), request!.body, signature)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, request!.body, signature.replace('sha256=', ''))).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, request!.body, 'sha256=abc')).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, request!.body, undefined)).toBe(false);
  });

  it('does not send a notification again once it is recorded as delivered', async () => {
    const n = notification();
    await expect(notifyAt(1, n)).resolves.toEqual({ webhook: 'delivered' });
    await expect(notifyAt(1, n)).resolves.toEqual({ webhook: 'already_delivered' });
    await expect(notifyAt(2, n)).resolves.toEqual({ webhook: 'already_delivered' });
    expect(receiver.received).toHaveLength(1);
  });

  it('throws a retryable failure while the endpoint fails, then delivers with the same delivery id', async () => {
    const n = notification({
      kind: 'acceptance_reminder',
      notificationKey: '5:unit:beijing-water:acceptance_reminder',
    });
    receiver.answers.push(503, 500);

    for (const attempt of [1, 2]) {
      const failure = await failureOf(notifyAt(attempt, n));
      expect(failure.type).toBe(ErrorType.WebhookDeliveryFailed);
      expect(failure.nonRetryable).toBeFalsy();
    }
    await expect(notifyAt(3, n)).resolves.toEqual({ webhook: 'delivered' });

    const deliveryId = deliveryIdOf(n.appealId, n.notificationKey);
    expect(receiver.received.map((r) => r.headers['x-jiesu-delivery'])).toEqual([deliveryId, deliveryId, deliveryId]);
    expect(receiver.received.map((r) => (JSON.parse(r.body) as WebhookPayload).deliveryId)).toEqual([
      deliveryId,
      deliveryId,
      deliveryId,
    ]);
    expect(await getDelivery(database.db, { deliveryId })).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastStatusCode: 200,
    });
  });

  it('retries a 429 and a 408, and an endpoint that does not answer in time', async () => {
    receiver.answers.push(429, 408, 'hang');
    for (const status of [429, 408])
      expect((await failureOf(notifyAt(1, notification()))).message, String(status)).toContain(`HTTP ${status}`);
    const timedOut = await failureOf(notifyAt(1, notification()));
    expect(timedOut.type).toBe(ErrorType.WebhookDeliveryFailed);
    expect(timedOut.message).toContain('no answer within 1000 ms');
  });

  it('dead-letters on the last allowed attempt and returns normally', async () => {
    const n = notification();
    receiver.answers.push(503);
    await expect(notifyAt(WEBHOOK_MAX_ATTEMPTS, n)).resolves.toEqual({ webhook: 'dead_letter' });

    const row = await getDelivery(database.db, { deliveryId: deliveryIdOf(n.appealId, n.notificationKey) });
    expect(row).toMatchObject({
      status: 'dead_letter',
      attempts: WEBHOOK_MAX_ATTEMPTS,
      lastStatusCode: 503,
      kind: 'dispatched',
      unitId: 'beijing-water',
    });
    expect(row!.lastError).toContain('HTTP 503');
    expect(row!.deadLetteredAt).toBeInstanceOf(Date);
    expect(row!.payload).toMatchObject({ appealId: n.appealId, message: n.message });
  });

  it('dead-letters a network error on the last attempt, with the cause', async () => {
    const closed = new Receiver();
    await closed.start();
    const url = closed.url;
    await closed.stop();
    await upsertEndpoint(database.db, { unitId: 'beijing-gas', url, secret: SECRET, enabled: true });

    const n = notification({ to: 'unit:beijing-gas' });
    expect((await failureOf(notifyAt(1, n))).message).toContain('ECONNREFUSED');
    await expect(notifyAt(WEBHOOK_MAX_ATTEMPTS, n)).resolves.toEqual({ webhook: 'dead_letter' });
    const row = await getDelivery(database.db, { deliveryId: deliveryIdOf(n.appealId, n.notificationKey) });
    expect(row).toMatchObject({ status: 'dead_letter', lastStatusCode: null, unitId: 'beijing-gas' });
    expect(row!.lastError).toContain('ECONNREFUSED');
  });

  it('dead-letters a 400 at once: the endpoint refuses the request itself', async () => {
    const n = notification();
    receiver.answers.push(400);
    await expect(notifyAt(1, n)).resolves.toEqual({ webhook: 'dead_letter' });
    expect(receiver.received).toHaveLength(1);
    const row = await getDelivery(database.db, { deliveryId: deliveryIdOf(n.appealId, n.notificationKey) });
    expect(row).toMatchObject({ status: 'dead_letter', attempts: 1, lastStatusCode: 400 });
    expect(row!.lastError).toContain('refused with 400');
  });

  it('sends nothing for an audience, a unit without endpoint or a disabled one', async () => {
    for (const to of ['center', 'requester', 'government'])
      await expect(notifyAt(1, notification({ to }))).resolves.toEqual({ webhook: 'no_endpoint' });
    await expect(notifyAt(1, notification({ to: 'unit:haidian-gov' }))).resolves.toEqual({ webhook: 'no_endpoint' });
    await upsertEndpoint(database.db, { unitId: 'chaoyang-gov', url: receiver.url, secret: SECRET, enabled: false });
    await expect(notifyAt(1, notification({ to: 'coordinator:chaoyang-gov' }))).resolves.toEqual({
      webhook: 'disabled',
    });
    expect(receiver.received).toHaveLength(0);
  });

  it("delivers a coordinator's notification to its unit's endpoint", async () => {
    await upsertEndpoint(database.db, { unitId: 'chaoyang-gov', url: receiver.url, secret: SECRET, enabled: true });
    await expect(notifyAt(1, notification({ to: 'coordinator:chaoyang-gov', kind: 'escalation' }))).resolves.toEqual({
      webhook: 'delivered',
    });
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ unitId: 'chaoyang-gov', kind: 'escalation' });
  });
});

describe('webhooks end to end through the API, the dev server and the worker', () => {
  let world: ApiWorld;
  let app: FastifyInstance;

  beforeAll(async () => {
    world = await startApiWorld(database, taskQueue);
    app = world.app;
  });
  afterAll(async () => {
    await world?.close();
  });

  it('configures the water unit, then its system receives a signed `dispatched` on triage', async () => {
    const put = await as(
      app,
      'admin',
    )({ method: 'PUT', url: '/v1/units/beijing-water/webhook', payload: { url: receiver.url, secret: SECRET } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({ unitId: 'beijing-water', url: receiver.url, enabled: true });
    expect(put.body).not.toContain(SECRET);

    const start = await as(app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: waterOutage() });
    expect(start.statusCode, start.body).toBe(201);
    const { appealId, workOrderNo } = start.json<{ case: { appealId: string; workOrderNo: string } }>().case;
    const triaged = await as(
      app,
      'center',
    )({ method: 'POST', url: `/v1/appeals/${appealId}/triage`, payload: { disposition: 'dispatch' } });
    expect(triaged.statusCode, triaged.body).toBe(200);

    const forThisAppeal = () =>
      receiver.received.filter((r) => (JSON.parse(r.body) as WebhookPayload).appealId === appealId);
    const received = await until(forThisAppeal, (rs) =>
      rs.some((r) => (JSON.parse(r.body) as WebhookPayload).kind === 'dispatched'),
    );
    const dispatched = received.find((r) => (JSON.parse(r.body) as WebhookPayload).kind === 'dispatched');
    expect(dispatched, 'no dispatched delivery reached the receiver').toBeDefined();
    const payload = JSON.parse(dispatched!.body) as WebhookPayload;
    expect(payload).toMatchObject({ appealId, unitId: 'beijing-water', kind: 'dispatched' });
    // The unit reads the work order number it works with, not the internal id.
    expect(payload.message).toContain(`工单 ${workOrderNo}`);
    expect(dispatched!.headers['x-jiesu-delivery']).toBe(payload.deliveryId);
    const { timestamp, signature } = signatureOf(dispatched!);
    expect(verifyWebhookSignature(SECRET, timestamp, dispatched!.body, signature)).toBe(true);
    // Only unit systems get webhooks: nothing of the requester travels.
    expect(dispatched!.body).not.toContain('13900000000');

    const recorded = await until(
      () => getDelivery(database.db, { deliveryId: payload.deliveryId }),
      (row) => row?.status === 'delivered',
    );
    expect(recorded).toMatchObject({ status: 'delivered', appealId, unitId: 'beijing-water' });
  });

  it('refuses a non-admin (403), an unknown unit (404) and a bad body (400 naming the field)', async () => {
    const body = { url: receiver.url, secret: SECRET };
    for (const caller of ['center', 'supervisor', 'water'] as const)
      expect(
        (await as(app, caller)({ method: 'PUT', url: '/v1/units/beijing-water/webhook', payload: body })).statusCode,
      ).toBe(403);
    expect(
      (await as(app, undefined)({ method: 'PUT', url: '/v1/units/beijing-water/webhook', payload: body })).statusCode,
    ).toBe(401);

    const unknown = await as(app, 'admin')({ method: 'PUT', url: '/v1/units/no-such-unit/webhook', payload: body });
    expect(unknown.statusCode).toBe(404);
    // The center is told at its own endpoint, never at a unit's.
    const center = await as(app, 'admin')({ method: 'PUT', url: '/v1/units/hotline-center/webhook', payload: body });
    expect(center.json()).toMatchObject({ statusCode: 400, field: 'params/unitId' });
    expect(center.json<{ message: string }>().message).toContain('/v1/notification-endpoints/center');
    // Streets and townships lead cases too: they get endpoints like departments.
    const street = await as(
      app,
      'admin',
    )({ method: 'PUT', url: '/v1/units/chaoyang-jianwai/webhook', payload: { ...body, enabled: false } });
    expect(street.statusCode, street.body).toBe(200);
    expect(street.json()).toEqual({ unitId: 'chaoyang-jianwai', url: receiver.url, enabled: false });

    for (const url of ['not a url', 'ftp://example.org/hook']) {
      const bad = await as(
        app,
        'admin',
      )({ method: 'PUT', url: '/v1/units/beijing-water/webhook', payload: { ...body, url } });
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.json()).toMatchObject({ field: 'body/url' });
    }
    const shortSecret = await as(
      app,
      'admin',
    )({ method: 'PUT', url: '/v1/units/beijing-water/webhook', payload: { ...body, secret: 'short' } });
    expect(shortSecret.json()).toMatchObject({ statusCode: 400, field: 'body/secret' });
  });

  it('lists dead letters for admin and supervisor, by unit', async () => {
    await upsertEndpoint(database.db, { unitId: 'beijing-water', url: receiver.url, secret: SECRET, enabled: true });
    const n = notification();
    receiver.answers.push(410);
    await expect(notifyAt(1, n)).resolves.toEqual({ webhook: 'dead_letter' });

    for (const caller of ['admin', 'supervisor'] as const) {
      const res = await as(
        app,
        caller,
      )({ method: 'GET', url: '/v1/webhooks/dead-letters?unitId=beijing-water&limit=5' });
      expect(res.statusCode, res.body).toBe(200);
      const items = res.json<{ items: { deliveryId: string; unitId: string; lastStatusCode: number | null }[] }>()
        .items;
      expect(items.length).toBeLessThanOrEqual(5);
      expect(items.every((i) => i.unitId === 'beijing-water')).toBe(true);
      expect(items[0]).toMatchObject({
        deliveryId: deliveryIdOf(n.appealId, n.notificationKey),
        lastStatusCode: 410,
        attempts: 1,
      });
    }
    const other = await as(app, 'admin')({ method: 'GET', url: '/v1/webhooks/dead-letters?unitId=chaoyang-gov' });
    expect(other.json<{ items: unknown[] }>().items).toEqual([]);
    expect((await as(app, 'water')({ method: 'GET', url: '/v1/webhooks/dead-letters' })).statusCode).toBe(403);
    const unknown = await as(app, 'admin')({ method: 'GET', url: '/v1/webhooks/dead-letters?unitId=no-such-unit' });
    expect(unknown.json()).toMatchObject({ statusCode: 404, message: 'unit no-such-unit not found' });
    expect((await as(app, 'admin')({ method: 'GET', url: '/v1/webhooks/dead-letters?limit=0' })).statusCode).toBe(400);
  });

  it('pages through dead letters, newest first, by a cursor', async () => {
    await upsertEndpoint(database.db, { unitId: 'beijing-water', url: receiver.url, secret: SECRET, enabled: true });
    for (let i = 0; i < 3; i++) {
      receiver.answers.push(410);
      await expect(notifyAt(1, notification())).resolves.toEqual({ webhook: 'dead_letter' });
    }
    type DeadLetters = { items: { deliveryId: string }[]; nextCursor: string | null };
    const read = async (query: string) => {
      const res = await as(
        app,
        'admin',
      )({ method: 'GET', url: `/v1/webhooks/dead-letters?unitId=beijing-water&${query}` });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<DeadLetters>();
    };
    const whole = await read('limit=500');
    expect(whole.items.length).toBeGreaterThanOrEqual(3);
    expect(whole.nextCursor).toBeNull();
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await read(`limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBe(1);
      paged.push(page.items[0]!.deliveryId);
      cursor = page.nextCursor;
    } while (cursor && paged.length < 100);
    expect(paged).toEqual(whole.items.map((i) => i.deliveryId));
    const refused = await as(app, 'admin')({ method: 'GET', url: '/v1/webhooks/dead-letters?cursor=bm9wZQ' });
    expect(refused.json()).toMatchObject({ statusCode: 400, field: 'querystring/cursor' });
  });
});
