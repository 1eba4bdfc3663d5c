import { and, desc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { streets, units } from '../schema/reference.js';
import {
  unitWebhooks,
  webhookDeliveries,
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

/** Creates or replaces a unit's endpoint. Undefined when the unit does not exist. */
export async function upsertEndpoint(db: DbOrTx, input: EndpointInput): Promise<UnitWebhook | undefined> {
  // Handling units are departments and enterprises (`units`) or streets and townships (`streets`).
  const [unit] = await db
    .select({ id: units.id })
    .from(units)
    .where(eq(units.id, input.unitId))
    .union(db.select({ id: streets.id }).from(streets).where(eq(streets.id, input.unitId)));
  if (!unit) return undefined;
  const [row] = await db
    .insert(unitWebhooks)
    .values(input)
    .onConflictDoUpdate({
      target: unitWebhooks.unitId,
      set: { url: input.url, secret: input.secret, enabled: input.enabled, updatedAt: sql`now()` },
    })
    .returning();
  return row;
}

export async function getEndpoint(db: DbOrTx, params: { unitId: string }): Promise<UnitWebhook | undefined> {
  const [row] = await db.select().from(unitWebhooks).where(eq(unitWebhooks.unitId, params.unitId));
  return row;
}

export async function getDelivery(db: DbOrTx, params: { deliveryId: string }): Promise<WebhookDelivery | undefined> {
  const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.deliveryId, params.deliveryId));
  return row;
}

export interface DeliveryOutcome {
  payload: WebhookPayload;
  attempts: number;
  lastStatusCode: number | null;
  at: Date;
}

/**
 * Marks a delivery as delivered. Idempotent: a delivery already recorded as delivered is left
 * as it is; a dead letter of the same id (an earlier run that gave up) is superseded.
 */
export async function recordDelivered(db: DbOrTx, outcome: DeliveryOutcome): Promise<void> {
  const { payload } = outcome;
  const delivered = {
    status: 'delivered' as const,
    attempts: outcome.attempts,
    lastStatusCode: outcome.lastStatusCode,
    lastError: null,
    deliveredAt: outcome.at,
  };
  await db
    .insert(webhookDeliveries)
    .values({
      deliveryId: payload.deliveryId,
      appealId: payload.appealId,
      unitId: payload.unitId,
      kind: payload.kind,
      payload,
      ...delivered,
    })
    .onConflictDoUpdate({
      target: webhookDeliveries.deliveryId,
      set: delivered,
      setWhere: sql`${webhookDeliveries.status} = 'dead_letter'`,
    });
}

/** Records a delivery the service gave up on. Never overwrites a delivered one. */
export async function recordDeadLetter(db: DbOrTx, outcome: DeliveryOutcome & { lastError: string }): Promise<void> {
  const { payload } = outcome;
  const deadLetter = {
    status: 'dead_letter' as const,
    attempts: outcome.attempts,
    lastStatusCode: outcome.lastStatusCode,
    lastError: outcome.lastError,
    deadLetteredAt: outcome.at,
  };
  await db
    .insert(webhookDeliveries)
    .values({
      deliveryId: payload.deliveryId,
      appealId: payload.appealId,
      unitId: payload.unitId,
      kind: payload.kind,
      payload,
      ...deadLetter,
    })
    .onConflictDoUpdate({
      target: webhookDeliveries.deliveryId,
      set: deadLetter,
      setWhere: sql`${webhookDeliveries.status} = 'dead_letter'`,
    });
}

/** Dead letters, newest first, optionally of one unit. */
export async function listDeadLetters(
  db: DbOrTx,
  params: { unitId?: string; limit: number },
): Promise<WebhookDelivery[]> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, 'dead_letter'),
        params.unitId ? eq(webhookDeliveries.unitId, params.unitId) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.deadLetteredAt), desc(webhookDeliveries.deliveryId))
    .limit(params.limit);
}
