import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * The JSON body a receiver gets for one notification, and what a delivery row keeps of it.
 * `audience` is absent from rows recorded before other audiences had endpoints (all `unit`).
 */
export interface WebhookPayload {
  deliveryId: string;
  appealId: string;
  /** `unit`, or one of `NOTIFICATION_AUDIENCES`. */
  audience?: DeliveryAudience;
  /** The receiving unit; to the government endpoint, the government it is for (when known). */
  unitId?: string;
  kind: string;
  message: string;
  /** ISO instant the notification was first scheduled: the same on every retry. */
  at: string;
}

/**
 * The body the requester's endpoint (the intake system's SMS gateway) receives: the payload and
 * where to send it. The phone is read from the work order inside the delivery; it is neither
 * recorded with the delivery nor logged, and never passes through the workflow.
 */
export interface RequesterWebhookPayload extends WebhookPayload {
  requester: { phone: string };
}

/**
 * A unit system's endpoint for notifications. The secret is the HMAC key the service signs
 * with (Standard Webhooks: `whsec_<base64>`, or a plain string set before those), so it is kept
 * in clear; the API returns it only when it generated it.
 */
export const unitWebhooks = pgTable('unit_webhooks', {
  /** A unit (`units`) or a street/township (`streets`): both lead cases. Checked on write. */
  unitId: text('unit_id').primaryKey(),
  url: text('url').notNull(),
  secret: text('secret').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: instant('created_at').notNull().defaultNow(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});

/** Who else receives notifications besides units (Art. 11 push, messages to the requester). */
export const NOTIFICATION_AUDIENCES = ['requester', 'center', 'government'] as const;
export type NotificationAudience = (typeof NOTIFICATION_AUDIENCES)[number];
export const DELIVERY_AUDIENCES = ['unit', ...NOTIFICATION_AUDIENCES] as const;
export type DeliveryAudience = (typeof DELIVERY_AUDIENCES)[number];

/**
 * The endpoint of a recipient that is not a unit: the intake system's SMS gateway for the
 * requester, the center's desk, the governments' push system. Signed like the units' webhooks.
 */
export const notificationEndpoints = pgTable('notification_endpoints', {
  audience: text('audience').$type<NotificationAudience>().primaryKey(),
  url: text('url').notNull(),
  secret: text('secret').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: instant('created_at').notNull().defaultNow(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});

export const WEBHOOK_DELIVERY_STATUSES = ['delivered', 'dead_letter'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * The outcome of each webhook delivery, keyed on its deterministic delivery id: `delivered`
 * stops a redelivery, `dead_letter` is a delivery the service gave up on (for an operator to
 * look at and replay by hand).
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    deliveryId: text('delivery_id').primaryKey(),
    appealId: text('appeal_id').notNull(),
    /** The receiving unit, or for another audience its recipient (`requester`, `center`, a government's unit id). */
    unitId: text('unit_id').notNull(),
    /** `unit`, or one of `NOTIFICATION_AUDIENCES`. */
    audience: text('audience').$type<DeliveryAudience>().notNull().default('unit'),
    kind: text('kind').notNull(),
    status: text('status').$type<WebhookDeliveryStatus>().notNull(),
    attempts: integer('attempts').notNull(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    payload: jsonb('payload').$type<WebhookPayload>().notNull(),
    deliveredAt: instant('delivered_at'),
    deadLetteredAt: instant('dead_lettered_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [
    check('webhook_deliveries_status_check', sql`${t.status} in ('delivered', 'dead_letter')`),
    index('webhook_deliveries_dead_letter_unit_idx')
      .on(t.unitId, t.deadLetteredAt.desc())
      .where(sql`${t.status} = 'dead_letter'`),
    index('webhook_deliveries_dead_letter_at_idx')
      .on(t.deadLetteredAt.desc())
      .where(sql`${t.status} = 'dead_letter'`),
    index('webhook_deliveries_appeal_idx').on(t.appealId),
  ],
);

export type UnitWebhook = typeof unitWebhooks.$inferSelect;
export type NotificationEndpoint = typeof notificationEndpoints.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type NewWebhookDelivery = typeof webhookDeliveries.$inferInsert;
