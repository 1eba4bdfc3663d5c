import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ConfigError } from '../platform/env.js';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  newPayloadKey,
  parsePayloadKeys,
  payloadCodecFromConfig,
  PayloadDecryptionError,
} from '../platform/payloadCodec.js';
import { loadApiConfig } from '../api/config.js';
import { loadWorkerConfig } from '../worker/config.js';

const oldKey = newPayloadKey();
const newKey = newPayloadKey();
const codecOf = (keys: string, id?: string) => payloadCodecFromConfig({ PAYLOAD_KEYS: keys, PAYLOAD_KEY_ID: id })!;
const text = (p: Payload) => Buffer.from(p.data ?? []).toString('utf8');
const input = { requester: { name: '李四', phone: '13811112222' }, content: '楼下噪音扰民' };

describe('the payload codec (AES-256-GCM, keys by id)', () => {
  it('encrypts every payload with a fresh IV and decodes it back', async () => {
    const codec = codecOf(`k1:${oldKey}`);
    const plain = defaultPayloadConverter.toPayload(input);
    const [a, b] = await codec.encode([plain, plain]);
    expect(Buffer.from(a!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(a!.metadata![KEY_ID_METADATA]!).toString()).toBe('k1');
    // The same payload twice is two different ciphertexts, and neither holds the text.
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    for (const needle of ['李四', '13811112222', '楼下噪音扰民', 'json/plain'])
      expect(Buffer.from(a!.data!).includes(Buffer.from(needle))).toBe(false);
    const [decoded] = await codec.decode([a!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(input);
    expect(Buffer.from(decoded!.metadata!.encoding!).toString()).toBe('json/plain');
  });

  it('passes payloads that are not encrypted through (histories written before, replay fixtures)', async () => {
    const plain = defaultPayloadConverter.toPayload(input);
    const [decoded] = await codecOf(`k1:${oldKey}`).decode([plain]);
    expect(decoded).toBe(plain);
  });

  it('refuses a payload of an unknown key id, naming it', async () => {
    const [encrypted] = await codecOf(`other:${newKey}`).encode([defaultPayloadConverter.toPayload(input)]);
    await expect(codecOf(`k1:${oldKey}`).decode([encrypted!])).rejects.toThrow(
      new PayloadDecryptionError('payload encrypted with unknown key id "other" (not in PAYLOAD_KEYS)'),
    );
  });

  it('refuses altered ciphertext and the wrong key material', async () => {
    const codec = codecOf(`k1:${oldKey}`);
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(input)]);
    const tampered = Buffer.from(encrypted!.data!);
    tampered[20]! ^= 1;
    await expect(codec.decode([{ ...encrypted!, data: tampered }])).rejects.toThrow(/failed authentication/);
    await expect(codecOf(`k1:${newKey}`).decode([encrypted!])).rejects.toThrow(/failed authentication/);
  });

  it('rotates: the new key encrypts, the old key id still decrypts', async () => {
    const [old] = await codecOf(`k1:${oldKey}`).encode([defaultPayloadConverter.toPayload('before')]);
    const rotated = codecOf(`k1:${oldKey},k2:${newKey}`, 'k2');
    const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload('after')]);
    expect(Buffer.from(fresh!.metadata![KEY_ID_METADATA]!).toString()).toBe('k2');
    const decoded = await rotated.decode([old!, fresh!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['before', 'after']);
    expect(text(decoded[0]!)).toBe('"before"');
  });

  it('is off without keys, and a bad configuration stops start-up naming the variable', () => {
    expect(payloadCodecFromConfig({})).toBeUndefined();
    expect(parsePayloadKeys({ PAYLOAD_KEYS: `a:${oldKey}` })?.current).toBe('a');
    const base = { DATABASE_URL: 'postgres://x/y' };
    const cases: [Record<string, string>, RegExp][] = [
      [{ PAYLOAD_KEYS: 'nocolon' }, /PAYLOAD_KEYS: expected id:base64key/],
      [{ PAYLOAD_KEYS: `a:${Buffer.alloc(16).toString('base64')}` }, /PAYLOAD_KEYS: key a is not 32 bytes/],
      [{ PAYLOAD_KEYS: `a:${oldKey},a:${newKey}` }, /PAYLOAD_KEYS: key id a appears twice/],
      [{ PAYLOAD_KEYS: `a:${oldKey},b:${newKey}` }, /PAYLOAD_KEY_ID: required when PAYLOAD_KEYS holds more/],
      [{ PAYLOAD_KEYS: `a:${oldKey}`, PAYLOAD_KEY_ID: 'b' }, /PAYLOAD_KEY_ID: b is not a key id of PAYLOAD_KEYS/],
      [{ PAYLOAD_KEY_ID: 'a' }, /PAYLOAD_KEY_ID: set without PAYLOAD_KEYS/],
    ];
    for (const [env, message] of cases) {
      expect(() => loadWorkerConfig({ ...base, ...env })).toThrow(ConfigError);
      expect(() => loadWorkerConfig({ ...base, ...env })).toThrow(message);
      expect(() => loadApiConfig({ ...base, ...env })).toThrow(message);
    }
    expect(new AesGcmPayloadCodec(parsePayloadKeys({ PAYLOAD_KEYS: `a:${oldKey}` })!)).toBeDefined();
  });
});
