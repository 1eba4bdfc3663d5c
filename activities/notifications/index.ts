import type { Logger } from 'pino';

export interface Notification {
  appealId: string;
  /** Stable per notification, so a receiver can drop a redelivered one. */
  notificationKey: string;
  /** `unit:<id>`, `coordinator:<id>`, `center`, `requester`, `government`. */
  to: string;
  kind: string;
  message: string;
}

/**
 * The one way the service tells anybody anything. Delivery to unit systems by webhook plugs
 * in here; until then the notification is a structured log line (no requester data in it).
 */
export function createNotificationActivities(deps: { log: Logger }) {
  return {
    async notify(notification: Notification): Promise<void> {
      deps.log.info({ appealId: notification.appealId, notification: { key: notification.notificationKey, to: notification.to, kind: notification.kind }, text: notification.message }, 'notification');
    },
  };
}
