/**
 * The webhook protocol every receiver sees (unit systems, the requester's SMS gateway, the
 * center, the governments): a deterministic delivery id, the Standard Webhooks headers, one
 * POST. Nothing here touches the database.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { SECRET_PREFIX, standardSecretOf } from '../../domain/webhookSecrets.js';

/** The Standard Webhooks headers (https://www.standardwebhooks.com), on every delivery. */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/**
 * The headers units verified before the Standard Webhooks ones. Sent beside them, for the
 * transition, only to endpoints whose secret is a plain string (set before `whsec_` secrets):
 * an endpoint configured with a `whsec_` secret, or a generated one, gets only the standard headers.
 */
export const LEGACY_WEBHOOK_HEADERS = {
  delivery: 'x-jiesu-delivery',
  timestamp: 'x-jiesu-timestamp',
  signature: 'x-jiesu-signature',
} as const;

/** RFC 4122 namespace of Jiesu delivery ids (a fixed random UUID). */
const DELIVERY_NAMESPACE = Buffer.from('6f1c2a0e4b7d4e1f9a3c5d8e2b6f0a19', 'hex');

/**
 * The delivery id of one notification: a name-based (version 5) UUID of the appeal and the
 * notification key, so every retry and every rerun of the same notification carries it.
 */
export function deliveryIdOf(appealId: string, notificationKey: string): string {
  const hash = createHash('sha1').update(DELIVERY_NAMESPACE).update(`${appealId}\n${notificationKey}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The three Standard Webhooks headers of one delivery, signed with the endpoint's secret. */
export function signWebhook(secret: string, id: string, at: Date, body: string): Record<string, string> {
  const signer = new Webhook(standardSecretOf(secret));
  return {
    [WEBHOOK_HEADERS.id]: id,
    [WEBHOOK_HEADERS.timestamp]: String(Math.floor(at.getTime() / 1000)),
    [WEBHOOK_HEADERS.signature]: signer.sign(id, at, body),
  };
}

/** `sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<raw body>`, the legacy `x-jiesu-signature`. */
function signLegacy(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/**
 * Checks a legacy `x-jiesu-signature` header against the raw body and `x-jiesu-timestamp` as
 * received. Constant-time in the signature. New receivers verify the Standard Webhooks headers.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string,
  rawBody: string,
  signatureHeader: string | undefined,
): boolean {
  const given = /^sha256=([0-9a-f]{64})$/i.exec(signatureHeader?.trim() ?? '')?.[1];
  if (!given) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

export type SendResult =
  | { ok: true; statusCode: number }
  | { ok: false; statusCode: number | null; error: string; retryable: boolean };

/** 4xx answers that may well pass later; every other 4xx means the request itself is refused. */
const RETRYABLE_CLIENT_ERRORS = new Set([408, 429]);

/**
 * POSTs one signed body under its delivery id. Never throws for the endpoint's sake: a timeout,
 * a network error or a non-2xx answer comes back as a failed result saying whether a retry
 * could help.
 */
export async function sendWebhook(
  endpoint: { url: string; secret: string },
  message: { id: string; body: string },
  options: { timeoutMs: number; signal?: AbortSignal; now?: Date },
): Promise<SendResult> {
  const { id, body } = message;
  const now = options.now ?? new Date();
  let signed: Record<string, string>;
  try {
    signed = signWebhook(endpoint.secret, id, now, body);
  } catch (error) {
    // A secret stored outside the API's checks (e.g. `whsec_` and no valid base64): no retry mends it.
    return {
      ok: false,
      statusCode: null,
      error: `cannot sign with the endpoint's secret: ${describe(error)}`,
      retryable: false,
    };
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', ...signed };
  if (!endpoint.secret.startsWith(SECRET_PREFIX)) {
    const timestamp = headers[WEBHOOK_HEADERS.timestamp]!;
    headers[LEGACY_WEBHOOK_HEADERS.delivery] = id;
    headers[LEGACY_WEBHOOK_HEADERS.timestamp] = timestamp;
    headers[LEGACY_WEBHOOK_HEADERS.signature] = signLegacy(endpoint.secret, timestamp, body);
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await fetch(endpoint.url, {
      method: 'POST',
      headers,
      body,
      // A redirect would resend the body somewhere not configured: it counts as a failure.
      redirect: 'manual',
      signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
    });
  } catch (error) {
    const why = timeout.aborted ? `no answer within ${options.timeoutMs} ms` : describe(error);
    return { ok: false, statusCode: null, error: why, retryable: true };
  }
  const excerpt = await response.text().then(
    (text) => text.slice(0, 200),
    () => '',
  );
  const statusCode = response.status;
  if (statusCode >= 200 && statusCode < 300) return { ok: true, statusCode };
  const retryable = !(statusCode >= 400 && statusCode < 500) || RETRYABLE_CLIENT_ERRORS.has(statusCode);
  return { ok: false, statusCode, error: `HTTP ${statusCode}${excerpt ? `: ${excerpt}` : ''}`, retryable };
}

/** `fetch failed` says little: the cause (ECONNREFUSED, ENOTFOUND, …) says what happened. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return detail ? `${error.message} (${detail})` : error.message;
}
