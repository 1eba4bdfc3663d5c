import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { deliverToUnit, type DeliveryOutcome } from './deliver.js';

export { verifyWebhookSignature, deliveryIdOf, WEBHOOK_HEADERS } from './webhook.js';
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
  /** Per request to a unit system; well inside the activity's start-to-close timeout. */
  webhookTimeoutMs?: number;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** The unit a notification is addressed to, when it goes to a unit's own system. */
const unitOf = (to: string): string | undefined => /^(?:unit|coordinator):(.+)$/.exec(to)?.[1];

/**
 * The one way the service tells anybody anything: every notification is a structured log
 * line (no requester data in it); one to a unit or coordinator is also delivered to the unit
 * system's webhook when the unit has an enabled one.
 */
export function createNotificationActivities(deps: NotificationDeps) {
  const delivery = { db: deps.db, log: deps.log, timeoutMs: deps.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS };
  return {
    async notify(notification: Notification): Promise<{ webhook: DeliveryOutcome | 'not_a_unit' }> {
      const { appealId, notificationKey, to, kind, message } = notification;
      deps.log.info({ appealId, notification: { key: notificationKey, to, kind }, text: message }, 'notification');
      const unitId = unitOf(to);
      if (!unitId) return { webhook: 'not_a_unit' };
      return { webhook: await deliverToUnit(delivery, { appealId, notificationKey, unitId, kind, message }) };
    },
  };
}
