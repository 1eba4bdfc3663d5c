/**
 * Notifications leave the building: every delivery (a unit's, the requester's, the center's, a
 * government's) is signed to the Standard Webhooks specification and verified here by the
 * `standardwebhooks` library a receiver would use, against a real HTTP receiver and PostgreSQL;
 * then end to end through the API, the dev server and the worker, where the requester's phone
 * reaches the gateway but never the `notify` activity's events in the workflow history.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createNotificationActivities, deliveryIdOf, type Notification } from '../activities/notifications/index.js';
import {
  getDelivery,
  getNotificationEndpoint,
  upsertEndpoint,
  upsertNotificationEndpoint,
} from '../db/queries/webhooks.js';
import { appeals } from '../db/schema/cases.js';
import type { RequesterWebhookPayload, WebhookPayload } from '../db/schema/webhooks.js';
import { generateWebhookSecret } from '../domain/webhookSecrets.js';
import { ErrorType } from '../domain/errors.js';
import { WEBHOOK_MAX_ATTEMPTS } from '../domain/notifications.js';
import { appealWorkflowId, TASK_QUEUE } from '../workflows/appeal/definitions.js';
import type { HistoryEvent } from '../scripts/lib/temporalProto.js';
import { announcedIn } from './harness/scenario.js';
import { as, dispatchAsCenter, startApiWorld, until, waterOutage, type ApiWorld } from './support/api.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { failureOf } from './support/failures.js';
import { capturingLogger } from './support/logger.js';
import { Receiver, type Received } from './support/receiver.js';
import { VENV_PYTHON } from '../scripts/lib/pythonLibraries.js';

const PHONE = '13912345678';
const PLAIN_SECRET = 'water-webhook-secret-0123456789';
const taskQueue = `${TASK_QUEUE}-notifications`;
const PYTHON_VERIFIER = fileURLToPath(new URL('./support/verifyStandardWebhook.py', import.meta.url));
const execFile = promisify(execFileCallback);

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

/** What a receiver does: verify the raw body against the three headers, or throw. */
const verify = (secret: string, r: Pick<Received, 'body' | 'headers'>): unknown =>
  new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });

let seq = 0;
const notification = (overrides: Partial<Notification> = {}): Notification => ({
  appealId: `nt-${Date.now()}-${++seq}`,
  notificationKey: `${seq}:unit:beijing-water:dispatched`,
  to: 'unit:beijing-water',
  kind: 'dispatched',
  message: 'Appeal is yours: accept by tomorrow.',
  ...overrides,
});

const sdkLogger = new DefaultLogger('ERROR');
const notifyAt = (attempt: number, n: Notification) =>
  new MockActivityEnvironment({ attempt }, { logger: sdkLogger }).run(
    (input: Notification) => notifications.notify(input),
    n,
  );

/** A work order as the intake records it, with (or without) the requester's phone. */
async function recordedAppeal(phone: string | null): Promise<string> {
  const id = `nt-appeal-${Date.now()}-${++seq}`;
  await database.db.insert(appeals).values({
    id,
    workflowId: appealWorkflowId(id),
    channel: 'phone',
    appealType: 'help',
    categoryCode: 'utilities.water.outage',
    districtId: 'chaoyang',
    content: '小区停水两天',
    requesterName: '张三',
    requesterPhone: phone,
    stage: 'triage',
    receivedAt: new Date(),
  });
  return id;
}

describe('Standard Webhooks signatures, verified with the standardwebhooks library', () => {
  it("signs a unit's delivery with its `whsec_` secret: the library verifies it; no legacy headers", async () => {
    const secret = generateWebhookSecret();
    await upsertEndpoint(database.db, { unitId: 'beijing-water', url: receiver.url, secret, enabled: true });
    const n = notification();
    await expect(notifyAt(1, n)).resolves.toEqual({ webhook: 'delivered' });

    const [request] = receiver.received;
    const deliveryId = deliveryIdOf(n.appealId, n.notificationKey);
    expect(request!.headers['webhook-id']).toBe(deliveryId);
    expect(Math.abs(Number(request!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(request!.headers['x-jiesu-signature']).toBeUndefined();
    expect(verify(secret, request!)).toEqual({
      deliveryId,
      appealId: n.appealId,
      audience: 'unit',
      unitId: 'beijing-water',
      kind: 'dispatched',
      message: n.message,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
    } satisfies WebhookPayload);
    expect(logLines.join('\n')).not.toContain(secret);
  });

  it('keeps a plain-string secret working: the receiver verifies with `whsec_` + base64 of its bytes', async () => {
    await upsertEndpoint(database.db, {
      unitId: 'beijing-water',
      url: receiver.url,
      secret: PLAIN_SECRET,
      enabled: true,
    });
    await notifyAt(1, notification());
    const [request] = receiver.received;
    const asStandard = `whsec_${Buffer.from(PLAIN_SECRET, 'utf8').toString('base64')}`;
    expect(verify(asStandard, request!)).toMatchObject({ audience: 'unit', unitId: 'beijing-water' });
    // Sent beside, for the transition: the headers unit systems verified before.
    expect(request!.headers['x-jiesu-delivery']).toBe(request!.headers['webhook-id']);
    expect(request!.headers['x-jiesu-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('fails verification for a tampered body, another id, another timestamp, another secret', async () => {
    const secret = generateWebhookSecret();
    await upsertEndpoint(database.db, { unitId: 'beijing-water', url: receiver.url, secret, enabled: true });
    await notifyAt(1, notification());
    const [request] = receiver.received;
    expect(() => verify(secret, request!)).not.toThrow();

    const tampered = [
      { ...request!, body: request!.body.replace('accept by tomorrow', 'accept next week') },
      { ...request!, headers: { ...request!.headers, 'webhook-id': deliveryIdOf('another', 'key') } },
      {
        ...request!,
        headers: {
          ...request!.headers,
          'webhook-timestamp': String(Number(request!.headers['webhook-timestamp']) - 1),
        },
      },
    ];
    for (const forged of tampered) expect(() => verify(secret, forged)).toThrow(WebhookVerificationError);
    expect(() => verify(generateWebhookSecret(), request!)).toThrow(WebhookVerificationError);
  });

  it('keeps the same webhook-id on every retry, each attempt signed afresh', async () => {
    const secret = generateWebhookSecret();
    await upsertEndpoint(database.db, { unitId: 'beijing-water', url: receiver.url, secret, enabled: true });
    const n = notification();
    receiver.answers.push(503, 500);
    for (const attempt of [1, 2])
      expect((await failureOf(notifyAt(attempt, n))).type).toBe(ErrorType.WebhookDeliveryFailed);
    await expect(notifyAt(3, n)).resolves.toEqual({ webhook: 'delivered' });

    const deliveryId = deliveryIdOf(n.appealId, n.notificationKey);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([deliveryId, deliveryId, deliveryId]);
    for (const r of receiver.received) expect(verify(secret, r)).toMatchObject({ deliveryId });
    expect(await getDelivery(database.db, { deliveryId })).toMatchObject({ status: 'delivered', attempts: 3 });
  });
  it('dead-letters at once, without a request, when a stored secret cannot sign (set outside the API)', async () => {
    await upsertEndpoint(database.db, {
      unitId: 'beijing-water',
      url: receiver.url,
      secret: 'whsec_abc',
      enabled: true,
    });
    const n = notification();
    await expect(notifyAt(1, n)).resolves.toEqual({ webhook: 'dead_letter' });
    expect(receiver.received).toHaveLength(0);
    const row = await getDelivery(database.db, { deliveryId: deliveryIdOf(n.appealId, n.notificationKey) });
    expect(row).toMatchObject({ status: 'dead_letter', attempts: 1, audience: 'unit' });
    expect(row!.lastError).toContain('cannot sign');
    expect(row!.lastError).not.toContain('whsec_abc');
  });
});

describe('the notifications of one moment, in one activity (notifyAll)', () => {
  it("keeps each recipient's order, lets the others through, and skips what was delivered on the retry", async () => {
    const other = new Receiver();
    await other.start();
    try {
      const secret = generateWebhookSecret();
      await upsertEndpoint(database.db, { unitId: 'beijing-water', url: receiver.url, secret, enabled: true });
      await upsertEndpoint(database.db, { unitId: 'chaoyang-jianwai', url: other.url, secret, enabled: true });
      const appealId = `nt-batch-${Date.now()}`;
      const batch = [
        notification({ appealId, notificationKey: '3:unit:beijing-water:result', kind: 'result' }),
        notification({ appealId, notificationKey: '3:unit:beijing-water:callback', kind: 'callback' }),
        notification({
          appealId,
          to: 'unit:chaoyang-jianwai',
          notificationKey: '3:unit:chaoyang-jianwai:result',
          kind: 'result',
        }),
      ];
      const notifyAllAt = (attempt: number) =>
        new MockActivityEnvironment({ attempt }, { logger: sdkLogger }).run(
          (input: Notification[]) => notifications.notifyAll(input),
          batch,
        );
      // The first of beijing-water's two fails: its second waits for the retry; chaoyang-jianwai's goes.
      receiver.answers.push(503);
      expect((await failureOf(notifyAllAt(1))).type).toBe(ErrorType.WebhookDeliveryFailed);
      expect(receiver.received.map((r) => (JSON.parse(r.body) as { kind: string }).kind)).toEqual(['result']);
      expect(other.received).toHaveLength(1);
      // The retry delivers beijing-water's two in order and does not send chaoyang-jianwai's again.
      await expect(notifyAllAt(2)).resolves.toEqual({ webhooks: ['delivered', 'delivered', 'already_delivered'] });
      expect(receiver.received.map((r) => (JSON.parse(r.body) as { kind: string }).kind)).toEqual([
        'result',
        'result',
        'callback',
      ]);
      expect(other.received).toHaveLength(1);
      for (const n of batch)
        expect(
          await getDelivery(database.db, { deliveryId: deliveryIdOf(n.appealId, n.notificationKey) }),
        ).toMatchObject({ status: 'delivered' });
    } finally {
      await other.stop();
    }
  });
});

describe('notifications said and routed within the workflow task (announceNotices), then delivered (deliverNotices)', () => {
  it('routes each without sending anything; the delivery routes again and sends only what has an endpoint', async () => {
    const secret = generateWebhookSecret();
    await upsertEndpoint(database.db, { unitId: 'beijing-water', url: receiver.url, secret, enabled: true });
    await upsertEndpoint(database.db, { unitId: 'xicheng-gov', url: receiver.url, secret, enabled: false });
    const appealId = `nt-announce-${Date.now()}`;
    const said = [
      notification({ appealId, notificationKey: '2:unit:beijing-water:dispatched' }),
      notification({
        appealId,
        to: 'unit:haidian-gov',
        notificationKey: '2:unit:haidian-gov:supervise',
        kind: 'supervise',
      }),
      notification({
        appealId,
        to: 'unit:xicheng-gov',
        notificationKey: '2:unit:xicheng-gov:supervise',
        kind: 'supervise',
      }),
      notification({ appealId, to: 'somebody', notificationKey: '2:somebody:x', kind: 'x' }),
    ];
    const before = logLines.length;
    const { notices } = await notifications.announceNotices(said);
    expect(notices.map((n) => n.route)).toEqual(['send', 'no_endpoint', 'disabled', 'unknown_recipient']);
    expect(notices.map(({ route: _, ...n }) => n)).toEqual(said);
    expect(receiver.received).toHaveLength(0);
    const logged = logLines.slice(before).map((l) => JSON.parse(l) as { msg: string; notification: { to: string } });
    expect(logged.filter((l) => l.msg === 'notification').map((l) => l.notification.to)).toEqual(said.map((n) => n.to));
    expect(logged.filter((l) => l.msg === 'notification not sent')).toHaveLength(3);

    const deliverAt = (attempt: number, input: Notification[]) =>
      new MockActivityEnvironment({ attempt }, { logger: sdkLogger }).run(
        (n: Notification[]) => notifications.deliverNotices(n),
        input,
      );
    await expect(deliverAt(1, [said[0]!])).resolves.toEqual({ webhooks: ['delivered'] });
    expect(receiver.received.map((r) => verify(secret, r))).toEqual([
      expect.objectContaining({ appealId, kind: 'dispatched', unitId: 'beijing-water' }),
    ]);
    // The endpoint went away between the two: nothing is sent, and the activity says why.
    await upsertEndpoint(database.db, { unitId: 'beijing-water', url: receiver.url, secret, enabled: false });
    const later = notification({ appealId, notificationKey: '3:unit:beijing-water:result', kind: 'result' });
    await expect(deliverAt(1, [later])).resolves.toEqual({ webhooks: ['disabled'] });
    expect(receiver.received).toHaveLength(1);
    await upsertEndpoint(database.db, { unitId: 'beijing-water', url: receiver.url, secret, enabled: true });
  });
});

describe('recipients that are not units', () => {
  const secrets = {
    requester: generateWebhookSecret(),
    center: generateWebhookSecret(),
    government: generateWebhookSecret(),
  };
  beforeAll(async () => {
    for (const audience of ['requester', 'center', 'government'] as const)
      await upsertNotificationEndpoint(database.db, {
        audience,
        url: receiver.url,
        secret: secrets[audience],
        enabled: true,
        newSecret: generateWebhookSecret(),
      });
  });

  it("sends the requester's message with the work order's phone; the delivery row and the log keep no phone", async () => {
    const appealId = await recordedAppeal(PHONE);
    const n = notification({
      appealId,
      to: 'requester',
      kind: 'triage_answer',
      notificationKey: '2:requester:triage_answer',
      message: 'Your question is answered: the water returns at 18:00.',
    });
    logLines.length = 0;
    await expect(notifyAt(1, n)).resolves.toEqual({ webhook: 'delivered' });

    const [request] = receiver.received;
    const deliveryId = deliveryIdOf(appealId, n.notificationKey);
    expect(verify(secrets.requester, request!)).toEqual({
      deliveryId,
      appealId,
      audience: 'requester',
      kind: 'triage_answer',
      message: n.message,
      at: expect.any(String) as string,
      requester: { phone: PHONE },
    } satisfies RequesterWebhookPayload);

    const row = await getDelivery(database.db, { deliveryId });
    expect(row).toMatchObject({
      status: 'delivered',
      audience: 'requester',
      unitId: 'requester',
      kind: 'triage_answer',
    });
    expect(JSON.stringify(row)).not.toContain(PHONE);
    expect(logLines.join('\n')).toContain(deliveryId);
    expect(logLines.join('\n')).not.toContain(PHONE);
  });

  it("verifies with the PyPI standardwebhooks too: a unit's and the requester's delivery, not a tampered one", async () => {
    expect(existsSync(VENV_PYTHON), `${VENV_PYTHON} is missing: run npm run tools`).toBe(true);
    const unitSecret = generateWebhookSecret();
    await upsertEndpoint(database.db, {
      unitId: 'beijing-water',
      url: receiver.url,
      secret: unitSecret,
      enabled: true,
    });
    await notifyAt(1, notification());
    const appealId = await recordedAppeal(PHONE);
    await notifyAt(
      1,
      notification({ appealId, to: 'requester', kind: 'result', notificationKey: '7:requester:result' }),
    );
    const [unitDelivery, requesterDelivery] = receiver.received;
    const asInput = (secret: string, r: Received) => ({
      secret,
      body: r.body,
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)])),
    });
    const deliveries = [
      asInput(unitSecret, unitDelivery!),
      asInput(secrets.requester, requesterDelivery!),
      {
        ...asInput(secrets.requester, requesterDelivery!),
        body: requesterDelivery!.body.replace(PHONE, '13800000000'),
      },
    ];
    const python = execFile(VENV_PYTHON, [PYTHON_VERIFIER], { timeout: 30_000 });
    python.child.stdin!.end(JSON.stringify(deliveries));
    const verdicts = JSON.parse((await python).stdout) as { ok: boolean; payload?: unknown; error?: string }[];
    expect(verdicts).toEqual([
      { ok: true, payload: expect.objectContaining({ audience: 'unit', unitId: 'beijing-water' }) as unknown },
      { ok: true, payload: expect.objectContaining({ appealId, requester: { phone: PHONE } }) as unknown },
      { ok: false, error: 'WebhookVerificationError' },
    ]);
  });

  it('sends nothing to a requester without a phone, and says so in the log', async () => {
    const appealId = await recordedAppeal(null);
    logLines.length = 0;
    await expect(notifyAt(1, notification({ appealId, to: 'requester', kind: 'withdrawn' }))).resolves.toEqual({
      webhook: 'no_contact',
    });
    expect(receiver.received).toHaveLength(0);
    expect(logLines.some((l) => l.includes('notification not sent') && l.includes('no_contact'))).toBe(true);
  });

  it("pushes a stability risk to the governments' endpoint, naming the district government", async () => {
    const appealId = await recordedAppeal(PHONE);
    const n = notification({
      appealId,
      to: 'government',
      kind: 'stability_risk',
      notificationKey: '1:government:stability_risk',
    });
    await expect(notifyAt(1, n)).resolves.toEqual({ webhook: 'delivered' });
    const payload = verify(secrets.government, receiver.received[0]!);
    expect(payload).toMatchObject({ appealId, audience: 'government', unitId: 'chaoyang-gov', kind: 'stability_risk' });
    expect(receiver.received[0]!.body).not.toContain(PHONE);
    expect(await getDelivery(database.db, { deliveryId: deliveryIdOf(appealId, n.notificationKey) })).toMatchObject({
      audience: 'government',
      unitId: 'chaoyang-gov',
    });
  });

  it("sends a coordinator's message to its unit system, or without one to the governments' endpoint", async () => {
    const n = notification({ to: 'coordinator:haidian-gov', kind: 'escalation' });
    await expect(notifyAt(1, n)).resolves.toEqual({ webhook: 'delivered' });
    expect(verify(secrets.government, receiver.received[0]!)).toMatchObject({
      audience: 'government',
      unitId: 'haidian-gov',
      kind: 'escalation',
    });
  });

  it('dead-letters the center on its last attempt when its endpoint is down, with the audience recorded', async () => {
    const closed = new Receiver();
    await closed.start();
    const url = closed.url;
    await closed.stop();
    await upsertNotificationEndpoint(database.db, {
      audience: 'center',
      url,
      secret: secrets.center,
      enabled: true,
      newSecret: generateWebhookSecret(),
    });
    const n = notification({ to: 'center', kind: 'stability_risk', notificationKey: '1:center:stability_risk' });
    expect((await failureOf(notifyAt(1, n))).message).toContain('ECONNREFUSED');
    await expect(notifyAt(WEBHOOK_MAX_ATTEMPTS, n)).resolves.toEqual({ webhook: 'dead_letter' });
    const row = await getDelivery(database.db, { deliveryId: deliveryIdOf(n.appealId, n.notificationKey) });
    expect(row).toMatchObject({ status: 'dead_letter', audience: 'center', unitId: 'center', lastStatusCode: null });
    expect(row!.lastError).toContain('ECONNREFUSED');
    await upsertNotificationEndpoint(database.db, {
      audience: 'center',
      url: receiver.url,
      enabled: true,
      newSecret: generateWebhookSecret(),
    });
  });

  it("dead-letters a requester's message the gateway refuses, without the phone", async () => {
    const appealId = await recordedAppeal(PHONE);
    const n = notification({ appealId, to: 'requester', kind: 'result', notificationKey: '9:requester:result' });
    receiver.answers.push(422);
    await expect(notifyAt(1, n)).resolves.toEqual({ webhook: 'dead_letter' });
    expect(receiver.received[0]!.body).toContain(PHONE);
    const row = await getDelivery(database.db, { deliveryId: deliveryIdOf(appealId, n.notificationKey) });
    expect(row).toMatchObject({ status: 'dead_letter', audience: 'requester', lastStatusCode: 422 });
    expect(JSON.stringify(row)).not.toContain(PHONE);
  });

  it('sends nothing to a disabled audience', async () => {
    await upsertNotificationEndpoint(database.db, {
      audience: 'center',
      url: receiver.url,
      enabled: false,
      newSecret: generateWebhookSecret(),
    });
    await expect(notifyAt(1, notification({ to: 'center', kind: 'result' }))).resolves.toEqual({ webhook: 'disabled' });
    expect(receiver.received).toHaveLength(0);
    await upsertNotificationEndpoint(database.db, {
      audience: 'center',
      url: receiver.url,
      enabled: true,
      newSecret: generateWebhookSecret(),
    });
  });
});

describe('notification endpoints end to end through the API, the dev server and the worker', () => {
  const worker = capturingLogger();
  let world: ApiWorld;

  beforeAll(async () => {
    world = await startApiWorld(database, taskQueue, { log: worker.log });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('configures an audience (a generated secret shown once), reads, replaces and removes it', async () => {
    const admin = as(world.app, 'admin');
    // Configured by the activity tests above: removed first, so this PUT creates it.
    await admin({ method: 'DELETE', url: '/v1/notification-endpoints/government' });
    const created = await admin({
      method: 'PUT',
      url: '/v1/notification-endpoints/government',
      payload: { url: receiver.url },
    });
    expect(created.statusCode, created.body).toBe(200);
    const { secret } = created.json<{ secret: string }>();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.json()).toEqual({ audience: 'government', url: receiver.url, enabled: true, secret });

    for (const caller of ['admin', 'supervisor', 'center'] as const) {
      const read = await as(world.app, caller)({ method: 'GET', url: '/v1/notification-endpoints/government' });
      expect(read.statusCode, read.body).toBe(200);
      expect(read.json()).toEqual({ audience: 'government', url: receiver.url, enabled: true });
    }
    // Replaced without a secret: it keeps its own, and shows none.
    const replaced = await admin({
      method: 'PUT',
      url: '/v1/notification-endpoints/government',
      payload: { url: receiver.url, enabled: false },
    });
    expect(replaced.json()).toEqual({ audience: 'government', url: receiver.url, enabled: false });
    expect((await getNotificationEndpoint(database.db, { audience: 'government' }))?.secret).toBe(secret);

    const list = await admin({ method: 'GET', url: '/v1/notification-endpoints' });
    expect(list.json<{ items: { audience: string }[] }>().items.map((i) => i.audience)).toContain('government');
    expect(list.body).not.toContain('whsec_');

    const removed = await admin({ method: 'DELETE', url: '/v1/notification-endpoints/government' });
    expect(removed.statusCode, removed.body).toBe(200);
    expect((await admin({ method: 'DELETE', url: '/v1/notification-endpoints/government' })).statusCode).toBe(404);
    expect((await admin({ method: 'GET', url: '/v1/notification-endpoints/government' })).statusCode).toBe(404);
  });

  it('refuses a non-admin (403), an unknown audience and a malformed `whsec_` secret (400 naming the field)', async () => {
    const body = { url: receiver.url };
    for (const caller of ['center', 'supervisor', 'water', 'intake'] as const)
      expect(
        (await as(world.app, caller)({ method: 'PUT', url: '/v1/notification-endpoints/center', payload: body }))
          .statusCode,
      ).toBe(403);
    expect((await as(world.app, 'water')({ method: 'GET', url: '/v1/notification-endpoints' })).statusCode).toBe(403);
    const admin = as(world.app, 'admin');
    const unknown = await admin({ method: 'PUT', url: '/v1/notification-endpoints/unit', payload: body });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ field: 'params/audience' });
    for (const secret of ['whsec_not*base64*at*all', `whsec_${Buffer.alloc(8).toString('base64')}`]) {
      const bad = await admin({
        method: 'PUT',
        url: '/v1/notification-endpoints/center',
        payload: { ...body, secret },
      });
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.json()).toMatchObject({ field: 'body/secret' });
    }
    for (const url of ['/v1/notification-endpoints/center', '/v1/units/beijing-gas/webhook']) {
      for (const enabled of [null, 0, 'false']) {
        const coerced = await admin({ method: 'PUT', url, payload: { ...body, enabled } });
        expect(coerced.statusCode, coerced.body).toBe(400);
        expect(coerced.json()).toMatchObject({ field: 'body/enabled' });
      }
      const numericSecret = await admin({ method: 'PUT', url, payload: { ...body, secret: 1234567890123456 } });
      expect(numericSecret.json()).toMatchObject({ statusCode: 400, field: 'body/secret' });
    }
    // A unit's endpoint takes the same secrets, and gets one generated when it gives none.
    const unit = await admin({ method: 'PUT', url: '/v1/units/beijing-gas/webhook', payload: body });
    expect(unit.statusCode, unit.body).toBe(200);
    expect(unit.json<{ secret: string }>().secret).toMatch(/^whsec_/);
  });

  it("delivers the requester's triage answer, signed, with the phone; the workflow history does not gain it", async () => {
    const admin = as(world.app, 'admin');
    await admin({ method: 'DELETE', url: '/v1/notification-endpoints/requester' });
    const configured = await admin({
      method: 'PUT',
      url: '/v1/notification-endpoints/requester',
      payload: { url: receiver.url },
    });
    expect(configured.statusCode, configured.body).toBe(200);
    const { secret } = configured.json<{ secret: string }>();

    const start = await as(
      world.app,
      'intake',
    )({
      method: 'POST',
      url: '/v1/appeals',
      payload: { ...waterOutage(), requester: { name: '李四', phone: PHONE } },
    });
    expect(start.statusCode, start.body).toBe(201);
    const appealId = start.json<{ case: { appealId: string } }>().case.appealId;
    const answer = '停水预计今晚18点恢复';
    const triaged = await as(
      world.app,
      'center',
    )({
      method: 'POST',
      url: `/v1/appeals/${appealId}/triage`,
      payload: { disposition: 'knowledge_answer', reason: '知识库可答复', answer },
    });
    expect(triaged.statusCode, triaged.body).toBe(200);

    const forRequester = (rs: Received[]) =>
      rs.filter((r) => {
        const p = JSON.parse(r.body) as WebhookPayload;
        return p.appealId === appealId && p.audience === 'requester';
      });
    const received = forRequester(
      await until(
        () => receiver.received,
        (rs) => forRequester(rs).some((r) => (JSON.parse(r.body) as WebhookPayload).kind === 'triage_answer'),
      ),
    );
    const delivered = received.find((r) => (JSON.parse(r.body) as WebhookPayload).kind === 'triage_answer');
    expect(delivered, 'the triage answer did not reach the requester endpoint').toBeDefined();
    expect(verify(secret, delivered!)).toMatchObject({
      appealId,
      audience: 'requester',
      kind: 'triage_answer',
      message: expect.stringContaining(answer) as string,
      requester: { phone: PHONE },
    });
    // Every message to the requester verifies and carries the phone.
    for (const r of received) expect(verify(secret, r)).toMatchObject({ requester: { phone: PHONE } });

    // The workflow asked for the notification by appeal id; the phone was read in the activity.
    // The answer closed the case: its history is read once the workflow has ended.
    const closed = world.env.client.workflow.getHandle(appealWorkflowId(appealId));
    await closed.result();
    const history = await closed.fetchHistory();
    const events = history.events ?? [];
    const notifyEvents = events.filter((e) =>
      ['notify', 'notifyAll', 'deliverNotices'].includes(
        e.activityTaskScheduledEventAttributes?.activityType?.name ?? '',
      ),
    );
    expect(notifyEvents.length).toBeGreaterThan(0);
    const scheduledIds = new Set(notifyEvents.map((e) => String(e.eventId)));
    const outcomes = events.filter((e) => {
      const attrs =
        e.activityTaskStartedEventAttributes ??
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes;
      return attrs && scheduledIds.has(String(attrs.scheduledEventId));
    });
    // The answer closes the case: its delivery completed before the workflow did (a case waits for
    // its deliveries before it ends; an activity left scheduled at the end would never run).
    const answerScheduled = notifyEvents.find((e) =>
      (e.activityTaskScheduledEventAttributes?.input?.payloads ?? []).some((p) =>
        Buffer.from(p.data ?? [])
          .toString('utf8')
          .includes('"triage_answer"'),
      ),
    );
    expect(answerScheduled, 'no delivery of the triage answer was scheduled').toBeDefined();
    const completedAt = events.findIndex((e) => e.workflowExecutionCompletedEventAttributes);
    const answerDeliveredAt = events.findIndex(
      (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(answerScheduled!.eventId),
    );
    expect(completedAt).toBeGreaterThan(0);
    expect(answerDeliveredAt, 'the triage answer was delivered only after the case ended').toBeGreaterThan(0);
    expect(answerDeliveredAt).toBeLessThan(completedAt);
    const notifyBytes = Buffer.concat(
      [...notifyEvents, ...outcomes].map((e) => Buffer.from(JSON.stringify(e))),
    ).toString('utf8');
    expect(notifyBytes).not.toContain(PHONE);
    const notifyPayloads = [...notifyEvents, ...outcomes].flatMap((e) => [
      ...(e.activityTaskScheduledEventAttributes?.input?.payloads ?? []),
      ...(e.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
    ]);
    for (const p of notifyPayloads) expect(Buffer.from(p.data ?? []).toString('utf8')).not.toContain(PHONE);
    // Nor do the local activities that said and routed the notifications.
    const announced = announcedIn(events);
    expect(announced.map((n) => n.kind)).toContain('triage_answer');
    expect(JSON.stringify(announced)).not.toContain(PHONE);
    expect(worker.lines.join('\n')).not.toContain(PHONE);
  });

  it('says every notification within the workflow task; only those with an endpoint cost an activity, which delivers them', async () => {
    const admin = as(world.app, 'admin');
    await admin({ method: 'DELETE', url: '/v1/notification-endpoints/requester' });
    // A damaged road on a street: the street leads, its district government supervises.
    const roadDamage = { ...waterOutage(), categoryCode: 'urban.road_damage', streetId: 'chaoyang-jianwai' };
    const start = await as(world.app, 'intake')({ method: 'POST', url: '/v1/appeals', payload: roadDamage });
    expect(start.statusCode, start.body).toBe(201);
    const appealId = start.json<{ case: { appealId: string } }>().case.appealId;
    const handle = world.env.client.workflow.getHandle(appealWorkflowId(appealId));
    const scheduledIn = (events: HistoryEvent[]) =>
      events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

    // The intake tells the requester, who has no endpoint now: said, routed nowhere, no activity task.
    // (The start answers once the work order is recorded; the workflow's intake task says it.)
    let events = await until(
      async () => (await handle.fetchHistory()).events ?? [],
      (history) => announcedIn(history).length > 0,
    );
    expect(announcedIn(events)).toEqual([
      expect.objectContaining({ to: 'requester', kind: 'received', route: 'no_endpoint' }),
    ]);
    expect(scheduledIn(events)).toEqual([]);

    // Dispatched to a unit with an endpoint: one `deliverNotices` with what has somewhere to go, and it arrives.
    await upsertEndpoint(database.db, {
      unitId: 'chaoyang-jianwai',
      url: receiver.url,
      secret: generateWebhookSecret(),
      enabled: true,
    });
    const triaged = await dispatchAsCenter(world.app, appealId);
    expect(triaged.statusCode, triaged.body).toBe(200);
    const lead = triaged.json<{ leadUnitId: string }>().leadUnitId;
    expect(lead).toBe('chaoyang-jianwai');
    const received = await until(
      () => receiver.received.filter((r) => (JSON.parse(r.body) as WebhookPayload).appealId === appealId),
      (rs) => rs.length > 0,
    );
    expect(received.map((r) => (JSON.parse(r.body) as WebhookPayload).kind)).toEqual(['dispatched']);
    events = (await handle.fetchHistory()).events ?? [];
    const routes = announcedIn(events).map(({ to, kind, route }) => ({ to, kind, route }));
    expect(routes).toContainEqual({ to: `unit:${lead}`, kind: 'dispatched', route: 'send' });
    // Its district government supervises it and has no endpoint of its own: said, and no more.
    expect(routes).toContainEqual({ to: 'unit:chaoyang-gov', kind: 'supervise', route: 'no_endpoint' });
    expect(scheduledIn(events)).toEqual(['deliverNotices']);
    const delivered = events.find((e) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes!;
    const [input] = delivered.input!.payloads!.map(
      (p) => JSON.parse(Buffer.from(p.data!).toString()) as Notification[],
    );
    expect(input!.map(({ to, kind }) => ({ to, kind }))).toEqual(
      routes.filter((r) => r.route === 'send').map(({ to, kind }) => ({ to, kind })),
    );
  });
});
