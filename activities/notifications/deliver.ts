import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { getDelivery, recordDeadLetter, recordDelivered } from '../../db/queries/webhooks.js';
import type { DeliveryAudience, RequesterWebhookPayload, WebhookPayload } from '../../db/schema/webhooks.js';
import { WEBHOOK_MAX_ATTEMPTS } from '../../domain/notifications.js';
import { ErrorType } from '../../domain/errors.js';
import { deliveryIdOf, sendWebhook } from './webhook.js';

export type DeliveryOutcome =
  | 'no_endpoint'
  | 'disabled'
  /** To the requester: the work order has no phone to send it to. */
  | 'no_contact'
  | 'already_delivered'
  | 'delivered'
  | 'dead_letter';

export interface DeliveryDeps {
  db: Database;
  log: Logger;
  timeoutMs: number;
}

/** One notification on its way to one configured endpoint. */
export interface Delivery {
  audience: DeliveryAudience;
  /** Recorded with the delivery: the unit, the government, or the audience itself. */
  recipient: string;
  endpoint: { url: string; secret: string; enabled: boolean };
  appealId: string;
  notificationKey: string;
  kind: string;
  message: string;
  /** Into the payload: the unit, or the government the message is for. */
  unitId?: string;
  /** Sent to the requester's endpoint only; never recorded, never logged. */
  requester?: RequesterWebhookPayload['requester'];
}

/**
 * Delivers one notification to its endpoint. A failure that a retry may mend throws (Temporal
 * retries with backoff) until the last allowed attempt, which dead-letters instead so the case
 * goes on; a refused request dead-letters at once.
 */
export async function deliver(deps: DeliveryDeps, delivery: Delivery): Promise<DeliveryOutcome> {
  const { appealId, audience, recipient, kind, endpoint } = delivery;
  if (!endpoint.enabled) return 'disabled';

  const deliveryId = deliveryIdOf(appealId, delivery.notificationKey);
  const recorded = await getDelivery(deps.db, { deliveryId });
  if (recorded?.status === 'delivered') return 'already_delivered';

  const context = Context.current();
  const { attempt, scheduledTimestampMs } = context.info;
  const payload: WebhookPayload = {
    deliveryId,
    appealId,
    audience,
    ...(delivery.unitId ? { unitId: delivery.unitId } : {}),
    kind,
    message: delivery.message,
    at: new Date(scheduledTimestampMs).toISOString(),
  };
  const sent: WebhookPayload | RequesterWebhookPayload = delivery.requester
    ? { ...payload, requester: delivery.requester }
    : payload;
  const fields = { appealId, audience, recipient, kind, deliveryId, attempt };

  const result = await sendWebhook(
    endpoint,
    { id: deliveryId, body: JSON.stringify(sent) },
    { timeoutMs: deps.timeoutMs, signal: context.cancellationSignal },
  );
  const outcome = { audience, recipient, payload, attempts: attempt, lastStatusCode: result.statusCode };
  if (result.ok) {
    await recordDelivered(deps.db, { ...outcome, at: new Date() });
    deps.log.info({ ...fields, statusCode: result.statusCode }, 'webhook delivered');
    return 'delivered';
  }
  // A worker shutting down is no verdict on the endpoint: let Temporal run the attempt again.
  if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;

  // An endpoint may echo the request in its error answer: the phone goes no further.
  const error = delivery.requester ? result.error.replaceAll(delivery.requester.phone, '***') : result.error;
  const lastAttempt = attempt >= WEBHOOK_MAX_ATTEMPTS;
  if (result.retryable && !lastAttempt) {
    deps.log.warn({ ...fields, statusCode: result.statusCode, error }, 'webhook failed; will retry');
    throw ApplicationFailure.create({
      type: ErrorType.WebhookDeliveryFailed,
      message: `webhook delivery ${deliveryId} to ${recipient} failed: ${error}`,
      details: [{ deliveryId, audience, recipient, statusCode: result.statusCode }],
    });
  }
  await recordDeadLetter(deps.db, { ...outcome, lastError: error, at: new Date() });
  deps.log.error(
    {
      ...fields,
      statusCode: result.statusCode,
      error,
      reason: result.retryable ? 'attempts exhausted' : 'refused by endpoint',
    },
    'webhook dead-lettered',
  );
  return 'dead_letter';
}
