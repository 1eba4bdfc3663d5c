/**
 * Webhook secrets in the Standard Webhooks form (`whsec_<base64 of the key>`), and the plain
 * strings units set before it, which keep working: in one place for the API that takes them
 * and the activity that signs with them.
 */
import { randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret in the specification's form: 32 random bytes. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

const STANDARD_SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/** A `whsec_` secret whose key is valid base64 of 24 to 64 bytes (the specification's range). */
export function isStandardSecret(secret: string): boolean {
  if (!STANDARD_SECRET.test(secret) || (secret.length - SECRET_PREFIX.length) % 4 !== 0) return false;
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return key.length >= 24 && key.length <= 64;
}

/**
 * The secret as a Standard Webhooks library takes it. A plain-string secret keys the HMAC with
 * its UTF-8 bytes, so its receiver uses `whsec_` + base64 of them.
 */
export function standardSecretOf(secret: string): string {
  return secret.startsWith(SECRET_PREFIX) ? secret : SECRET_PREFIX + Buffer.from(secret, 'utf8').toString('base64');
}
