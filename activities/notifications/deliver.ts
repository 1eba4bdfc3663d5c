import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { getDelivery, getEndpoint, recordDeadLetter, recordDelivered } from '../../db/queries/webhooks.js';
import type { WebhookPayload } from '../../db/schema/webhooks.js';
import { WEBHOOK_MAX_ATTEMPTS } from '../../domain/notifications.js';
import { ErrorType } from '../../domain/errors.js';
import { deliveryIdOf, sendWebhook } from './webhook.js';

export type DeliveryOutcome = 'no_endpoint' | 'disabled' | 'already_delivered' | 'delivered' | 'dead_letter';

export interface DeliveryDeps {
  db: Database;
  log: Logger;
  timeoutMs: number;
}

export interface UnitNotification {
  appealId: string;
  notificationKey: string;
  unitId: string;
  kind: string;
  message: string;
}

/**
 * Delivers one notification to the unit's endpoint, if it has an enabled one. A failure that
 * a retry may mend throws (Temporal retries with backoff) until the last allowed attempt,
 * which dead-letters instead so the case goes on; a refused request dead-letters at once.
 */
export async function deliverToUnit(deps: DeliveryDeps, notification: UnitNotification): Promise<DeliveryOutcome> {
  const { appealId, unitId, kind } = notification;
  const endpoint = await getEndpoint(deps.db, { unitId });
  if (!endpoint) return 'no_endpoint';
  if (!endpoint.enabled) return 'disabled';

  const deliveryId = deliveryIdOf(appealId, notification.notificationKey);
  const recorded = await getDelivery(deps.db, { deliveryId });
  if (recorded?.status === 'delivered') return 'already_delivered';

  const context = Context.current();
  const { attempt, scheduledTimestampMs } = context.info;
  const payload: WebhookPayload = {
    deliveryId,
    appealId,
    unitId,
    kind,
    message: notification.message,
    at: new Date(scheduledTimestampMs).toISOString(),
  };
  const fields = { appealId, unitId, kind, deliveryId, attempt };

  const result = await sendWebhook(endpoint, payload, {
    timeoutMs: deps.timeoutMs,
    signal: context.cancellationSignal,
  });
  if (result.ok) {
    await recordDelivered(deps.db, { payload, attempts: attempt, lastStatusCode: result.statusCode, at: new Date() });
    deps.log.info({ ...fields, statusCode: result.statusCode }, 'webhook delivered');
    return 'delivered';
  }
  // A worker shutting down is no verdict on the endpoint: let Temporal run the attempt again.
  if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;

  const lastAttempt = attempt >= WEBHOOK_MAX_ATTEMPTS;
  if (result.retryable && !lastAttempt) {
    deps.log.warn({ ...fields, statusCode: result.statusCode, error: result.error }, 'webhook failed; will retry');
    throw ApplicationFailure.create({
      type: ErrorType.WebhookDeliveryFailed,
      message: `webhook delivery ${deliveryId} to ${unitId} failed: ${result.error}`,
      details: [{ deliveryId, unitId, statusCode: result.statusCode }],
    });
  }
  await recordDeadLetter(deps.db, {
    payload,
    attempts: attempt,
    lastStatusCode: result.statusCode,
    lastError: result.error,
    at: new Date(),
  });
  deps.log.error(
    {
      ...fields,
      statusCode: result.statusCode,
      error: result.error,
      reason: result.retryable ? 'attempts exhausted' : 'refused by endpoint',
    },
    'webhook dead-lettered',
  );
  return 'dead_letter';
}
