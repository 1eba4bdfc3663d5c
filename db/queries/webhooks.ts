import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import { preparedPerHandle, type DbOrTx } from '../client.js';
import { streets, units } from '../schema/reference.js';
import {
  notificationEndpoints,
  unitWebhooks,
  webhookDeliveries,
  type DeliveryAudience,
  type NotificationAudience,
  type NotificationEndpoint,
  type UnitWebhook,
  type WebhookDelivery,
  type WebhookPayload,
} from '../schema/webhooks.js';

export interface EndpointInput {
  unitId: string;
  url: string;
  secret: string;
  enabled: boolean;
}

/**
 * Creates or replaces a unit's endpoint. Undefined when the unit does not exist. Without a
 * secret, an existing endpoint keeps its own and a new one gets `newSecret`.
 */
export async function upsertEndpoint(
  db: DbOrTx,
  input: Omit<EndpointInput, 'secret'> & { secret?: string; newSecret?: string },
): Promise<UnitWebhook | undefined> {
  // Handling units are departments and enterprises (`units`) or streets and townships (`streets`).
  const [unit] = await db
    .select({ id: units.id })
    .from(units)
    .where(eq(units.id, input.unitId))
    .union(db.select({ id: streets.id }).from(streets).where(eq(streets.id, input.unitId)));
  if (!unit) return undefined;
  const secret = input.secret ?? input.newSecret;
  if (secret === undefined) throw new Error('an endpoint needs a secret or a new one to fall back on');
  const [row] = await db
    .insert(unitWebhooks)
    .values({ unitId: input.unitId, url: input.url, secret, enabled: input.enabled })
    .onConflictDoUpdate({
      target: unitWebhooks.unitId,
      set: { url: input.url, enabled: input.enabled, updatedAt: sql`now()`, ...(input.secret ? { secret } : {}) },
    })
    .returning();
  return row;
}

const unitEndpoint = preparedPerHandle((db) =>
  db
    .select()
    .from(unitWebhooks)
    .where(eq(unitWebhooks.unitId, sql.placeholder('unitId')))
    .prepare('unit_webhook'),
);

export async function getEndpoint(db: DbOrTx, params: { unitId: string }): Promise<UnitWebhook | undefined> {
  const [row] = await unitEndpoint(db).execute({ unitId: params.unitId });
  return row;
}

/**
 * Units' endpoints by unit id, from the one after `after` on; one row more than `limit` tells
 * whether a next page exists.
 */
export async function listEndpoints(
  db: DbOrTx,
  params: { after?: string; limit: number },
): Promise<{ rows: UnitWebhook[]; next: string | null }> {
  const found = await db
    .select()
    .from(unitWebhooks)
    .where(params.after !== undefined ? gt(unitWebhooks.unitId, params.after) : undefined)
    .orderBy(asc(unitWebhooks.unitId))
    .limit(params.limit + 1);
  const rows = found.slice(0, params.limit);
  return { rows, next: found.length > params.limit ? rows.at(-1)!.unitId : null };
}

/** The removed endpoint of a unit; undefined when it had none. */
export async function deleteEndpoint(db: DbOrTx, params: { unitId: string }): Promise<UnitWebhook | undefined> {
  const [removed] = await db.delete(unitWebhooks).where(eq(unitWebhooks.unitId, params.unitId)).returning();
  return removed;
}

/**
 * Creates or replaces the endpoint of a recipient that is not a unit. Without a secret, an
 * existing endpoint keeps its own and a new one gets `newSecret`.
 */
export async function upsertNotificationEndpoint(
  db: DbOrTx,
  input: { audience: NotificationAudience; url: string; enabled: boolean; secret?: string; newSecret: string },
): Promise<NotificationEndpoint> {
  const [row] = await db
    .insert(notificationEndpoints)
    .values({
      audience: input.audience,
      url: input.url,
      secret: input.secret ?? input.newSecret,
      enabled: input.enabled,
    })
    .onConflictDoUpdate({
      target: notificationEndpoints.audience,
      set: {
        url: input.url,
        enabled: input.enabled,
        updatedAt: sql`now()`,
        ...(input.secret ? { secret: input.secret } : {}),
      },
    })
    .returning();
  return row!;
}

const notificationEndpoint = preparedPerHandle((db) =>
  db
    .select()
    .from(notificationEndpoints)
    .where(eq(notificationEndpoints.audience, sql.placeholder('audience')))
    .prepare('notification_endpoint'),
);

export async function getNotificationEndpoint(
  db: DbOrTx,
  params: { audience: NotificationAudience },
): Promise<NotificationEndpoint | undefined> {
  const [row] = await notificationEndpoint(db).execute({ audience: params.audience });
  return row;
}

export async function listNotificationEndpoints(db: DbOrTx): Promise<NotificationEndpoint[]> {
  return db.select().from(notificationEndpoints).orderBy(notificationEndpoints.audience);
}

/** The removed endpoint; undefined when there was none. */
export async function deleteNotificationEndpoint(
  db: DbOrTx,
  params: { audience: NotificationAudience },
): Promise<NotificationEndpoint | undefined> {
  const [removed] = await db
    .delete(notificationEndpoints)
    .where(eq(notificationEndpoints.audience, params.audience))
    .returning();
  return removed;
}

export async function getDelivery(db: DbOrTx, params: { deliveryId: string }): Promise<WebhookDelivery | undefined> {
  const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.deliveryId, params.deliveryId));
  return row;
}

export interface DeliveryOutcome {
  /** `unit`, or the audience of a recipient that is not a unit. */
  audience: DeliveryAudience;
  /** The receiving unit, a government's id, or the audience itself (`requester`, `center`). */
  recipient: string;
  /** What was sent, as far as it may be kept (the requester's phone is not). */
  payload: WebhookPayload;
  attempts: number;
  lastStatusCode: number | null;
  at: Date;
}

/**
 * Records a delivery that reached the unit. Idempotent; it replaces an earlier dead letter of the
 * same delivery (a later retry got through) but never another delivered row.
 */
export async function recordDelivered(db: DbOrTx, outcome: DeliveryOutcome): Promise<void> {
  await writeOutcome(db, outcome, {
    status: 'delivered',
    attempts: outcome.attempts,
    lastStatusCode: outcome.lastStatusCode,
    lastError: null,
    deliveredAt: outcome.at,
  });
}

/** Records a delivery the service gave up on. Never overwrites a delivered one. */
export async function recordDeadLetter(db: DbOrTx, outcome: DeliveryOutcome & { lastError: string }): Promise<void> {
  await writeOutcome(db, outcome, {
    status: 'dead_letter',
    attempts: outcome.attempts,
    lastStatusCode: outcome.lastStatusCode,
    lastError: outcome.lastError,
    deadLetteredAt: outcome.at,
  });
}

/** One row per delivery id: a dead letter may still turn into a delivery, a delivery stays. */
async function writeOutcome(
  db: DbOrTx,
  { audience, recipient, payload }: Pick<DeliveryOutcome, 'audience' | 'recipient' | 'payload'>,
  outcome: Pick<
    typeof webhookDeliveries.$inferInsert,
    'status' | 'attempts' | 'lastStatusCode' | 'lastError' | 'deliveredAt' | 'deadLetteredAt'
  >,
): Promise<void> {
  await db
    .insert(webhookDeliveries)
    .values({
      deliveryId: payload.deliveryId,
      appealId: payload.appealId,
      unitId: recipient,
      audience,
      kind: payload.kind,
      payload,
      ...outcome,
    })
    .onConflictDoUpdate({
      target: webhookDeliveries.deliveryId,
      set: outcome,
      setWhere: sql`${webhookDeliveries.status} = 'dead_letter'`,
    });
}

/** Dead letters, newest first, optionally of one recipient or one audience. */
export async function listDeadLetters(
  db: DbOrTx,
  params: {
    unitId?: string;
    audience?: DeliveryAudience;
    limit: number;
    /** Only those after this one in the order (newest first): the previous page's last. */
    after?: { deadLetteredAt: Date; deliveryId: string };
  },
): Promise<WebhookDelivery[]> {
  const { after } = params;
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, 'dead_letter'),
        params.unitId ? eq(webhookDeliveries.unitId, params.unitId) : undefined,
        params.audience ? eq(webhookDeliveries.audience, params.audience) : undefined,
        after
          ? sql`(${webhookDeliveries.deadLetteredAt}, ${webhookDeliveries.deliveryId}) < (${after.deadLetteredAt.toISOString()}::timestamptz, ${after.deliveryId}::text)`
          : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.deadLetteredAt), desc(webhookDeliveries.deliveryId))
    .limit(params.limit);
}
