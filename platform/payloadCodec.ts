/**
 * Encryption of Temporal payloads (AES-256-GCM), shared by the API's client and the worker, so
 * that workflow inputs, results, Update arguments, query answers, activity payloads and user
 * metadata are ciphertext in the server's history. Keys have ids: the key that encrypts is
 * `PAYLOAD_KEY_ID`, every key of `PAYLOAD_KEYS` still decrypts, so a key rotates by adding a new
 * one and switching the id. Payloads that are not encrypted (histories written before, replay
 * fixtures) pass through decoding unchanged.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
// A CommonJS module: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import { ConfigError, Type } from './env.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const { temporal } = proto;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The variables, spread into the API's and the worker's configuration schemas. */
export const PayloadCodecEnv = {
  /** `id:base64key,…` (each key 32 random bytes, e.g. `openssl rand -base64 32`); unset: payloads stay plain. */
  PAYLOAD_KEYS: Type.Optional(Type.String({ minLength: 1 })),
  /** The id of the key that encrypts; may be omitted when PAYLOAD_KEYS holds one key. */
  PAYLOAD_KEY_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]+$' })),
};

export interface PayloadKeys {
  /** The id of the key new payloads are encrypted with. */
  current: string;
  keys: Map<string, Buffer>;
}

const invalid = (variable: string, reason: string): ConfigError =>
  new ConfigError(`invalid configuration:\n  ${variable}: ${reason}`);

/** Parses `PAYLOAD_KEYS`/`PAYLOAD_KEY_ID`; undefined when no keys are configured. Errors name the variable. */
export function parsePayloadKeys(config: { PAYLOAD_KEYS?: string; PAYLOAD_KEY_ID?: string }): PayloadKeys | undefined {
  if (config.PAYLOAD_KEYS === undefined) {
    if (config.PAYLOAD_KEY_ID !== undefined) throw invalid('PAYLOAD_KEY_ID', 'set without PAYLOAD_KEYS');
    return undefined;
  }
  const keys = new Map<string, Buffer>();
  for (const entry of config.PAYLOAD_KEYS.split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const material = colon > 0 ? entry.slice(colon + 1) : '';
    if (!/^[A-Za-z0-9._-]+$/.test(id))
      throw invalid('PAYLOAD_KEYS', 'expected id:base64key,… (ids of A-Z a-z 0-9 . _ -)');
    if (keys.has(id)) throw invalid('PAYLOAD_KEYS', `key id ${id} appears twice`);
    const key = Buffer.from(material, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(material) || key.length !== 32)
      throw invalid('PAYLOAD_KEYS', `key ${id} is not 32 bytes of base64 (AES-256)`);
    keys.set(id, key);
  }
  if (keys.size === 0) throw invalid('PAYLOAD_KEYS', 'no key given');
  const current = config.PAYLOAD_KEY_ID ?? (keys.size === 1 ? [...keys.keys()][0]! : undefined);
  if (current === undefined) throw invalid('PAYLOAD_KEY_ID', 'required when PAYLOAD_KEYS holds more than one key');
  if (!keys.has(current)) throw invalid('PAYLOAD_KEY_ID', `${current} is not a key id of PAYLOAD_KEYS`);
  return { current, keys };
}

/** For the config loaders: stops start-up on a bad key configuration, returns the config as it is. */
export function checkPayloadKeys<T extends { PAYLOAD_KEYS?: string; PAYLOAD_KEY_ID?: string }>(config: T): T {
  parsePayloadKeys(config);
  return config;
}

/** A fresh key for `PAYLOAD_KEYS` (what `npm run dev` creates once). */
export const newPayloadKey = (): string => randomBytes(32).toString('base64');

export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/** AES-256-GCM over the whole serialised payload (its encoding metadata included); random 12-byte IV. */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.keys.get(this.keys.current)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(this.keys.current),
        },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      const idBytes = payload.metadata?.[KEY_ID_METADATA];
      const id = idBytes ? Buffer.from(idBytes).toString() : '';
      const key = this.keys.keys.get(id);
      if (!key) throw new PayloadDecryptionError(`payload encrypted with unknown key id "${id}" (not in PAYLOAD_KEYS)`);
      const data = Buffer.from(payload.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload too short');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new PayloadDecryptionError(`encrypted payload (key "${id}") failed authentication: altered or wrong key`);
      }
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/** The codec of a configuration; undefined (plain payloads) when it has no keys. */
export function payloadCodecFromConfig(config: {
  PAYLOAD_KEYS?: string;
  PAYLOAD_KEY_ID?: string;
}): AesGcmPayloadCodec | undefined {
  const keys = parsePayloadKeys(config);
  return keys ? new AesGcmPayloadCodec(keys) : undefined;
}

/** The SDK's data converter option for an optional codec: `{}` keeps the SDK's default. */
export const dataConverterOf = (codec: PayloadCodec | undefined) =>
  codec ? { dataConverter: { payloadCodecs: [codec] } } : {};
