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
 * Records a delivery that reached the unit. Idempotent; it replaces an earlier dead letter of the
 * same delivery (a later retry got through) but never another delivered row.
 */
export async function recordDelivered(db: DbOrTx, outcome: DeliveryOutcome): Promise<void> {
  await writeOutcome(db, outcome.payload, {
    status: 'delivered',
    attempts: outcome.attempts,
    lastStatusCode: outcome.lastStatusCode,
    lastError: null,
    deliveredAt: outcome.at,
  });
}

/** Records a delivery the service gave up on. Never overwrites a delivered one. */
export async function recordDeadLetter(db: DbOrTx, outcome: DeliveryOutcome & { lastError: string }): Promise<void> {
  await writeOutcome(db, outcome.payload, {
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
  payload: WebhookPayload,
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
      unitId: payload.unitId,
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
