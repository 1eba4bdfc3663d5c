import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildServer, type ServerOptions } from '../../api/buildServer.js';
import { loadApiConfig } from '../../api/config.js';
import { hashApiKey, type Role } from '../../api/plugins/auth.js';

/** One API key per role the tests use; the raw key is what a caller sends. */
export const TEST_KEYS = {
  intake: { key: 'test-intake-key', role: 'intake' },
  center: { key: 'test-center-key', role: 'center' },
  supervisor: { key: 'test-supervisor-key', role: 'supervisor' },
  admin: { key: 'test-admin-key', role: 'admin' },
  water: { key: 'test-unit-water-key', role: 'unit', unitId: 'beijing-water' },
  jianwai: { key: 'test-unit-jianwai-key', role: 'unit', unitId: 'chaoyang-jianwai' },
  coordinator: { key: 'test-coordinator-key', role: 'coordinator', unitId: 'chaoyang-gov' },
} satisfies Record<string, { key: string; role: Role; unitId?: string }>;
export type Caller = keyof typeof TEST_KEYS;

export const API_KEYS_JSON = JSON.stringify(
  Object.entries(TEST_KEYS).map(([name, k]) => ({ name, keyHash: hashApiKey(k.key), role: k.role, ...('unitId' in k ? { unitId: k.unitId } : {}) })),
);

export async function buildTestApi(env: Record<string, string>, options: ServerOptions = {}): Promise<FastifyInstance> {
  const config = loadApiConfig({ API_KEYS: API_KEYS_JSON, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', ...env });
  return buildServer(config, options);
}

/** `app.inject` as one caller. */
export function as(app: FastifyInstance, caller: Caller | undefined) {
  return (options: InjectOptions) =>
    app.inject({ ...options, headers: { ...(caller ? { authorization: `Bearer ${TEST_KEYS[caller].key}` } : {}), ...options.headers } });
}
