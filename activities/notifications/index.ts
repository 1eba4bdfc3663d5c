import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { districtGovernmentOf, requesterPhoneOf } from '../../db/queries/notificationRecipients.js';
import { getEndpoint, listNotificationEndpoints } from '../../db/queries/webhooks.js';
import type { NotificationAudience, NotificationEndpoint } from '../../db/schema/webhooks.js';
import { deliver, type Delivery, type DeliveryOutcome } from './deliver.js';
import { partyNamer } from './partyNames.js';

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

/** Why a notification goes nowhere: no endpoint for its recipient, a disabled one, no phone, no such recipient. */
export type Unsent = 'no_endpoint' | 'disabled' | 'no_contact' | 'unknown_recipient';

/** The endpoint of an audience that is not a unit (the requester, the center, the governments). */
type AudienceEndpoint = (audience: NotificationAudience) => Promise<NotificationEndpoint | undefined>;

/**
 * The audiences' endpoints, read once (a handful of rows) for the notifications of one call, where
 * each notification read its own.
 */
function audienceEndpoints(db: Database): AudienceEndpoint {
  let byAudience: Promise<Map<NotificationAudience, NotificationEndpoint>> | undefined;
  return async (audience) => {
    byAudience ??= listNotificationEndpoints(db).then((rows) => new Map(rows.map((row) => [row.audience, row])));
    return (await byAudience).get(audience);
  };
}

/**
 * Where one notification goes: a unit (or a coordinator) to its unit system's endpoint; a
 * coordinator without one, and the stability-risk push of `government`, to the governments'
 * endpoint with the government's id in the payload; the requester and the center to theirs.
 */
async function route(
  db: Database,
  endpointOf: AudienceEndpoint,
  to: string,
  message: Message,
): Promise<Delivery | Unsent> {
  const [, party, id] = /^(unit|coordinator):(.+)$/.exec(to) ?? [];
  if (party && id) {
    const endpoint = await getEndpoint(db, { unitId: id });
    if (endpoint) return enabled({ ...message, audience: 'unit', recipient: id, unitId: id, endpoint });
    if (party === 'unit') return 'no_endpoint';
    return toAudience(db, endpointOf('government'), message, { recipient: id, unitId: id });
  }
  if (to === 'government') {
    const governmentId = await districtGovernmentOf(db, { appealId: message.appealId });
    return toAudience(db, endpointOf('government'), message, {
      recipient: governmentId ?? 'government',
      unitId: governmentId,
    });
  }
  if (to === 'center') return toAudience(db, endpointOf('center'), message, { recipient: 'center' });
  if (to === 'requester') return toAudience(db, endpointOf('requester'), message, { recipient: 'requester' }, true);
  return 'unknown_recipient';
}

const enabled = (delivery: Delivery): Delivery | Unsent => (delivery.endpoint.enabled ? delivery : 'disabled');

async function toAudience(
  db: Database,
  audienceEndpoint: Promise<NotificationEndpoint | undefined>,
  message: Message,
  target: Pick<Delivery, 'recipient' | 'unitId'>,
  withPhone = false,
): Promise<Delivery | Unsent> {
  const endpoint = await audienceEndpoint;
  if (!endpoint) return 'no_endpoint';
  const { audience } = endpoint;
  if (!endpoint.enabled) return 'disabled';
  if (!withPhone) return { ...message, ...target, audience, endpoint };
  const phone = await requesterPhoneOf(db, { appealId: message.appealId });
  if (!phone) return 'no_contact';
  return { ...message, ...target, audience, endpoint, requester: { phone } };
}

/** A notification as announced: what was said to whom, and whether it has an endpoint to go to (`send`). */
export interface AnnouncedNotice extends Notification {
  route: 'send' | Unsent;
}

/**
 * Each recipient's notifications in their order, recipients side by side. A recipient whose
 * delivery fails hears nothing more in this attempt (its order holds); the attempt then fails,
 * and the next one skips what was delivered (deliveries are idempotent by their key).
 */
async function inRecipientOrder<T>(notifications: Notification[], one: (n: Notification) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  const byRecipient = new Map<string, number[]>();
  notifications.forEach(({ to }, i) => byRecipient.set(to, [...(byRecipient.get(to) ?? []), i]));
  const attempts = await Promise.allSettled(
    [...byRecipient.values()].map(async (indexes) => {
      for (const i of indexes) results[i] = await one(notifications[i]!);
    }),
  );
  const failed = attempts.find((a): a is PromiseRejectedResult => a.status === 'rejected');
  if (failed) throw failed.reason;
  return results;
}

/**
 * The one way the service tells anybody anything: every notification is a structured log line
 * (no requester data in it) and is delivered, signed, to its recipient's endpoint when one is
 * configured (a recipient without one is told nothing beyond the log line; the case goes on).
 */
export function createNotificationActivities(deps: NotificationDeps) {
  const delivery = { db: deps.db, log: deps.log, timeoutMs: deps.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS };
  // Every message is said with its parties' names (the workflow names them by id).
  const named = partyNamer(deps.db);
  const fieldsOf = ({ appealId, notificationKey, to, kind }: Notification) => ({
    appealId,
    notification: { key: notificationKey, to, kind },
  });
  const announce = (n: Notification) => deps.log.info({ ...fieldsOf(n), text: n.message }, 'notification');
  const unsent = (n: Notification, webhook: Unsent) =>
    deps.log.info({ ...fieldsOf(n), webhook }, 'notification not sent');

  const routeOf = async (n: Notification, endpointOf = audienceEndpoints(deps.db)): Promise<Delivery | Unsent> => {
    const routed = await route(deps.db, endpointOf, n.to, n);
    if (typeof routed === 'string') unsent(n, routed);
    return routed;
  };

  /** Routes one notification and delivers it when it has somewhere to go. */
  async function send(
    notification: Notification,
    endpointOf?: AudienceEndpoint,
  ): Promise<DeliveryOutcome | 'unknown_recipient'> {
    const routed = await routeOf(notification, endpointOf);
    if (typeof routed !== 'string') return deliver(delivery, routed);
    return routed;
  }

  /** Says a notification already named (a log line) and sends it. */
  async function sayAndSend(notification: Notification): Promise<DeliveryOutcome | 'unknown_recipient'> {
    announce(notification);
    return send(notification);
  }

  async function notify(notification: Notification): Promise<{ webhook: DeliveryOutcome | 'unknown_recipient' }> {
    const [said] = await named([notification]);
    return { webhook: await sayAndSend(said!) };
  }

  return {
    notify,

    /**
     * The notifications of one moment of a case, in one activity task, in recipient order (see
     * `inRecipientOrder`) until the last attempt dead-letters what is left.
     */
    async notifyAll(notifications: Notification[]): Promise<{ webhooks: (DeliveryOutcome | 'unknown_recipient')[] }> {
      return { webhooks: await inRecipientOrder(await named(notifications), sayAndSend) };
    },

    /**
     * The notifications of one moment of a case, said (each a log line) and routed within the
     * workflow task (a local activity: short reads, no webhook call). Only those with an endpoint
     * to go to need `deliverNotices`, an activity with its retry schedule; the rest cost no task.
     * The answer names no endpoint, secret or phone: it goes into the history.
     */
    async announceNotices(notifications: Notification[]): Promise<{ notices: AnnouncedNotice[] }> {
      const endpointOf = audienceEndpoints(deps.db);
      const notices = await Promise.all(
        (await named(notifications)).map(async (n): Promise<AnnouncedNotice> => {
          announce(n);
          const routed = await routeOf(n, endpointOf);
          return { ...n, route: typeof routed === 'string' ? routed : 'send' };
        }),
      );
      return { notices };
    },

    /**
     * Delivers announced notifications (routed again: an endpoint may have changed since), as
     * `notifyAll` does; `announceNotices` named their parties already.
     */
    async deliverNotices(
      notifications: Notification[],
    ): Promise<{ webhooks: (DeliveryOutcome | 'unknown_recipient')[] }> {
      const endpointOf = audienceEndpoints(deps.db);
      return { webhooks: await inRecipientOrder(notifications, (n) => send(n, endpointOf)) };
    },
  };
}
