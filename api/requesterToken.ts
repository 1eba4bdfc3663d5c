/**
 * The requester's token (Art. 7, 9(3)): what lets the requester read the state of their own
 * appeal without an API key. It is derived, never stored: HMAC-SHA256 of the appeal id under
 * `REQUESTER_TOKEN_SECRET`, the first 80 bits written in Crockford's base32 as four groups of
 * four (`7KQ2-M9XD-4T0B-HC3N`), short enough to read out on the phone and far too many to guess
 * (a million guesses a second would take 19 billion years on average for one appeal). Rotating
 * the secret voids every token given so far.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../platform/env.js';

/** Crockford's base32: no I, L, O or U, so what is said is what is typed. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CHARS = 16;

/** The secret `npm run dev` and the tests use when none is configured; never outside development. */
export const DEV_REQUESTER_TOKEN_SECRET = 'jiesu-development-only-requester-token-secret';

export interface RequesterTokens {
  /** The token of one appeal, as the requester is told it. */
  issue(appealId: string): string;
  /** Whether `token` (spaced, hyphenated, lower case or with O for 0 as people type it) is the appeal's. */
  verify(appealId: string, token: string): boolean;
}

function derive(secret: string, appealId: string): string {
  const mac = createHmac('sha256', secret).update(`requester:${appealId}`).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of mac) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < CHARS) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === CHARS) break;
    value &= (1 << bits) - 1;
  }
  return out;
}

/** What a person typed, in the alphabet's own letters: `7kq2 m9xd-4tob-hc3n` → `7KQ2M9XD40BHC3N`. */
const normalise = (token: string): string =>
  token.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');

export function requesterTokens(secret: string): RequesterTokens {
  return {
    issue: (appealId) => derive(secret, appealId).replace(/(.{4})(?!$)/g, '$1-'),
    verify: (appealId, token) => {
      const expected = Buffer.from(derive(secret, appealId));
      const given = Buffer.from(normalise(token).slice(0, 64));
      // Same work whatever was sent: the comparison runs on equal lengths, then the length decides.
      const same = timingSafeEqual(expected, given.length === expected.length ? given : expected);
      return same && given.length === expected.length;
    },
  };
}

/**
 * The tokens of this process from its configuration: the configured secret (at least 32
 * characters), or the development secret when none is set and NODE_ENV is not `production`;
 * a production start without one stops naming the variable.
 */
export function requesterTokensFromConfig(config: { REQUESTER_TOKEN_SECRET?: string; NODE_ENV: string }): {
  tokens: RequesterTokens;
  development: boolean;
} {
  if (config.REQUESTER_TOKEN_SECRET !== undefined)
    return { tokens: requesterTokens(config.REQUESTER_TOKEN_SECRET), development: false };
  if (config.NODE_ENV === 'production')
    throw new ConfigError(
      'invalid configuration:\n  REQUESTER_TOKEN_SECRET: required with NODE_ENV=production (e.g. `openssl rand -base64 32`)',
    );
  return { tokens: requesterTokens(DEV_REQUESTER_TOKEN_SECRET), development: true };
}
