/**
 * The API keys the tests use, one per role, and the hashed list an API process is started with.
 * Free of vitest, so the cluster drills' global set-up can start API processes with them.
 */
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
  Object.entries(TEST_KEYS).map(([name, k]) => ({
    name,
    keyHash: hashApiKey(k.key),
    role: k.role,
    ...('unitId' in k ? { unitId: k.unitId } : {}),
  })),
);
