/**
 * The body that configures a webhook endpoint, for a unit system or another audience, and its
 * secret: given (Standard Webhooks `whsec_<base64>`, or a plain string as before), kept from
 * the endpoint being replaced, or generated and shown once.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { credentialsRefusal } from '../../../domain/attachments.js';
import { generateWebhookSecret, isStandardSecret, SECRET_PREFIX } from '../../../domain/webhookSecrets.js';
import { HttpError } from '../../errors.js';

export const EndpointBody = Type.Object(
  {
    url: Type.String({
      format: 'uri',
      pattern: '^https?://',
      maxLength: 2000,
      description: 'Where notifications are POSTed (http or https), without a user name or password.',
    }),
    secret: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 256,
        description:
          'Signing secret (Standard Webhooks). `whsec_` + base64 of 24 to 64 bytes; a plain string of 16 or more characters is signed with its UTF-8 bytes (its receiver verifies with `whsec_` + base64 of them). Omitted: a new endpoint gets a generated secret, returned once in the answer; an existing one keeps its own. Write-only otherwise.',
      }),
    ),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const GeneratedSecret = Type.Optional(
  Type.String({
    description: 'The generated secret (`whsec_…`): present only when the service generated it, and never shown again.',
  }),
);

/**
 * A `preValidation` hook: Ajv's type coercion would take `"enabled": 0` or `null` for `false`
 * (and a number for a string), so a field of another JSON type is refused as such, naming it.
 */
export function refuseCoercion(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return done();
  for (const [field, schema] of Object.entries(EndpointBody.properties) as [string, { type: string }][]) {
    const value = (body as Record<string, unknown>)[field];
    if (value !== undefined && typeof value !== schema.type)
      return done(new HttpError(400, `body/${field}: must be ${schema.type}`, `body/${field}`, 'VALIDATION'));
  }
  done();
}

function urlRefusal(url: string): string | undefined {
  try {
    return credentialsRefusal(new URL(url));
  } catch {
    return 'not a URL';
  }
}

/**
 * The secret the caller gave (checked) and the one a new endpoint gets when it gave none. The
 * URL is checked first: one with a user name or password is refused, as an attachment's is.
 */
export function secretsOf(body: Static<typeof EndpointBody>): { secret?: string; newSecret: string } {
  const refusal = urlRefusal(body.url);
  if (refusal) throw new HttpError(400, `body/url: ${refusal}`, 'body/url', 'VALIDATION');
  const { secret } = body;
  if (secret?.startsWith(SECRET_PREFIX) && !isStandardSecret(secret))
    throw new HttpError(
      400,
      'body/secret: a `whsec_` secret is `whsec_` followed by the base64 of 24 to 64 bytes',
      'body/secret',
      'VALIDATION',
    );
  return { secret, newSecret: generateWebhookSecret() };
}

/** An endpoint's URL as read back: one kept with a user name or password before they were refused shows neither. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!credentialsRefusal(parsed)) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The answer's `secret`: only a secret the service generated for this request. */
export const shownSecret = (saved: { secret: string }, given: { secret?: string; newSecret: string }) =>
  given.secret === undefined && saved.secret === given.newSecret ? { secret: saved.secret } : {};
