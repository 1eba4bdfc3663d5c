import { loadEnv, Type } from '../platform/env.js';
import { checkPayloadKeys, PayloadCodecEnv } from '../platform/payloadCodec.js';
import { TASK_QUEUE } from '../domain/appeal.js';

const ApiEnv = Type.Object({
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  TEMPORAL_ADDRESS: Type.String({ default: '127.0.0.1:7233', pattern: '^[^:]+:\\d+$' }),
  TEMPORAL_NAMESPACE: Type.String({ default: 'default', minLength: 1 }),
  TEMPORAL_TASK_QUEUE: Type.String({ default: TASK_QUEUE, minLength: 1 }),
  /** The Temporal Web UI as a browser reaches it: the supervisor page links each stuck case there. */
  TEMPORAL_UI_URL: Type.String({ default: 'http://127.0.0.1:8233', pattern: '^https?://[^\\s]+$' }),
  /** How long a request waits for the appeal's workflow (to apply an action, to answer a query) before a 503. */
  WORKFLOW_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 100, maximum: 600_000 }),
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  /** Inline JSON list of `{ keyHash, role, unitId?, name }` (keyHash: sha256 hex of the key). */
  API_KEYS: Type.Optional(Type.String({ minLength: 2 })),
  /** A file holding the same JSON list. */
  API_KEYS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** With neither set: `development` accepts the documented dev keys, anything else refuses to start. */
  NODE_ENV: Type.String({ default: 'development' }),
  /** Derives requesters' tokens (api/requesterToken.ts); required with NODE_ENV=production. */
  REQUESTER_TOKEN_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  /** Payload encryption keys (see platform/payloadCodec.ts). */
  ...PayloadCodecEnv,
  /** Browser origins allowed to call the codec server (comma-separated); default: TEMPORAL_UI_URL's origin. */
  CODEC_CORS_ORIGINS: Type.Optional(Type.String({ pattern: '^https?://[^\\s,]+(,https?://[^\\s,]+)*$' })),
  /** `pretty` for a terminal (what `npm run dev` uses there), `json` otherwise. */
  LOG_FORMAT: Type.Union([Type.Literal('json'), Type.Literal('pretty')], { default: 'json' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

export type ApiConfig = ReturnType<typeof loadApiConfig>;
export const loadApiConfig = (env: NodeJS.ProcessEnv = process.env) => checkPayloadKeys(loadEnv(ApiEnv, env));
