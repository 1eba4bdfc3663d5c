import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { districtGovernmentOf, requesterPhoneOf } from '../../db/queries/notificationRecipients.js';
import { getEndpoint, getNotificationEndpoint } from '../../db/queries/webhooks.js';
import type { NotificationAudience } from '../../db/schema/webhooks.js';
import { deliver, type Delivery, type DeliveryDeps, type DeliveryOutcome } from './deliver.js';

export { verifyWebhookSignature, deliveryIdOf, WEBHOOK_HEADERS, LEGACY_WEBHOOK_HEADERS } from './webhook.js';
export { type DeliveryOutcome } from './deliver.js';

export interface Notification {
  appealId: string;
  /** Stable per notification, so a receiver can drop a redelivered one. */
  notificationKey: string;
  /** `unit:<id>`, `coordinator:<id>`, `center`, `requester`, `government`. */
  to: string;
  kind: string;
  message: string;
}

export interface NotificationDeps {
  db: Database;
  log: Logger;
  /** Per request to a receiver; well inside the activity's start-to-close timeout. */
  webhookTimeoutMs?: number;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

type Message = Pick<Notification, 'appealId' | 'notificationKey' | 'kind' | 'message'>;

/**
 * Where one notification goes: a unit (or a coordinator) to its unit system's endpoint; a
 * coordinator without one, and the stability-risk push of `government`, to the governments'
 * endpoint with the government's id in the payload; the requester and the center to theirs.
 */
async function route(deps: DeliveryDeps, to: string, message: Message): Promise<DeliveryOutcome | 'unknown_recipient'> {
  const [, party, id] = /^(unit|coordinator):(.+)$/.exec(to) ?? [];
  if (party && id) {
    const endpoint = await getEndpoint(deps.db, { unitId: id });
    if (endpoint) return deliver(deps, { ...message, audience: 'unit', recipient: id, unitId: id, endpoint });
    if (party === 'unit') return 'no_endpoint';
    return toAudience(deps, 'government', message, { recipient: id, unitId: id });
  }
  if (to === 'government') {
    const governmentId = await districtGovernmentOf(deps.db, { appealId: message.appealId });
    return toAudience(deps, 'government', message, { recipient: governmentId ?? 'government', unitId: governmentId });
  }
  if (to === 'center') return toAudience(deps, 'center', message, { recipient: 'center' });
  if (to === 'requester') return toAudience(deps, 'requester', message, { recipient: 'requester' }, true);
  return 'unknown_recipient';
}

async function toAudience(
  deps: DeliveryDeps,
  audience: NotificationAudience,
  message: Message,
  target: Pick<Delivery, 'recipient' | 'unitId'>,
  withPhone = false,
): Promise<DeliveryOutcome> {
  const endpoint = await getNotificationEndpoint(deps.db, { audience });
  if (!endpoint) return 'no_endpoint';
  if (!endpoint.enabled) return 'disabled';
  if (!withPhone) return deliver(deps, { ...message, ...target, audience, endpoint });
  const phone = await requesterPhoneOf(deps.db, { appealId: message.appealId });
  if (!phone) return 'no_contact';
  return deliver(deps, { ...message, ...target, audience, endpoint, requester: { phone } });
}

/**
 * The one way the service tells anybody anything: every notification is a structured log line
 * (no requester data in it) and is delivered, signed, to its recipient's endpoint when one is
 * configured (a recipient without one is told nothing beyond the log line; the case goes on).
 */
export function createNotificationActivities(deps: NotificationDeps) {
  const delivery = { db: deps.db, log: deps.log, timeoutMs: deps.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS };

  async function notify(notification: Notification): Promise<{ webhook: DeliveryOutcome | 'unknown_recipient' }> {
    const { appealId, notificationKey, to, kind, message } = notification;
    deps.log.info({ appealId, notification: { key: notificationKey, to, kind }, text: message }, 'notification');
    const webhook = await route(delivery, to, { appealId, notificationKey, kind, message });
    if (webhook === 'no_endpoint' || webhook === 'disabled' || webhook === 'no_contact')
      deps.log.info({ appealId, notification: { key: notificationKey, to, kind }, webhook }, 'notification not sent');
    return { webhook };
  }

  return {
    notify,

    /**
     * The notifications of one moment of a case, in one activity task: each recipient's in their
     * order, recipients side by side. A recipient whose delivery fails hears nothing more in this
     * attempt (its order holds); the attempt then fails, and the next one skips what was delivered
     * (deliveries are idempotent by their key) until the last attempt dead-letters what is left.
     */
    async notifyAll(notifications: Notification[]): Promise<{ webhooks: (DeliveryOutcome | 'unknown_recipient')[] }> {
      const webhooks: (DeliveryOutcome | 'unknown_recipient')[] = [];
      const byRecipient = new Map<string, number[]>();
      notifications.forEach(({ to }, i) => byRecipient.set(to, [...(byRecipient.get(to) ?? []), i]));
      const attempts = await Promise.allSettled(
        [...byRecipient.values()].map(async (indexes) => {
          for (const i of indexes) webhooks[i] = (await notify(notifications[i]!)).webhook;
        }),
      );
      const failed = attempts.find((a): a is PromiseRejectedResult => a.status === 'rejected');
      if (failed) throw failed.reason;
      return { webhooks };
    },
  };
}
