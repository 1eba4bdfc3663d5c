import { describe, expect, it } from 'vitest';
import { ConfigError } from '../platform/env.js';
import { requesterTokens, requesterTokensFromConfig } from '../api/requesterToken.js';

const secret = 'a-secret-of-at-least-thirty-two-characters';

describe("requesters' tokens", () => {
  it('are four groups of four Crockford base32 characters, the same for the same appeal and secret', () => {
    const tokens = requesterTokens(secret);
    const token = tokens.issue('appeal-1');
    expect(token).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(requesterTokens(secret).issue('appeal-1')).toBe(token);
    expect(tokens.issue('appeal-2')).not.toBe(token);
    expect(requesterTokens(`${secret}!`).issue('appeal-1')).not.toBe(token);
  });

  it('verify as people type them, and refuse another appeal’s token or a truncated one', () => {
    const tokens = requesterTokens(secret);
    const token = tokens.issue('appeal-1');
    expect(tokens.verify('appeal-1', token)).toBe(true);
    expect(tokens.verify('appeal-1', token.toLowerCase().replace(/-/g, ' '))).toBe(true);
    expect(tokens.verify('appeal-1', token.replace(/-/g, '').replace(/0/g, 'O').replace(/1/g, 'l'))).toBe(true);
    expect(tokens.verify('appeal-2', token)).toBe(false);
    expect(tokens.verify('appeal-1', token.slice(0, -1))).toBe(false);
    expect(tokens.verify('appeal-1', `${token}A`)).toBe(false);
    expect(tokens.verify('appeal-1', '')).toBe(false);
  });

  it('use the development secret only outside production; production without one stops naming the variable', () => {
    expect(requesterTokensFromConfig({ NODE_ENV: 'development' }).development).toBe(true);
    expect(requesterTokensFromConfig({ NODE_ENV: 'test' }).development).toBe(true);
    expect(requesterTokensFromConfig({ NODE_ENV: 'production', REQUESTER_TOKEN_SECRET: secret }).development).toBe(
      false,
    );
    expect(() => requesterTokensFromConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => requesterTokensFromConfig({ NODE_ENV: 'production' })).toThrow(/REQUESTER_TOKEN_SECRET/);
  });
});
