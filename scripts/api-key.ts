/**
 * Creates an API key: prints the key once and appends its hash to the key file the API reads
 * (`API_KEYS_FILE`). Only the sha256 of a key is ever stored.
 *
 *   npm run api-key -- --name intake-system --role intake
 *   npm run api-key -- --name water-company --role unit --unit beijing-water
 *   npm run api-key -- ... --file deploy/api-keys.json   (the default)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hashApiKey, loadApiKeys, ROLES, type ApiKeyEntry, type Role } from '../api/plugins/auth.js';
import { exitOnConfigError } from '../platform/env.js';
import { ROOT } from './lib/paths.js';

function fail(message: string): never {
  console.error(`api-key: ${message}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: { name: { type: 'string' }, role: { type: 'string' }, unit: { type: 'string' }, file: { type: 'string' } },
});
const { name, role, unit } = values;
if (!name) fail('--name is required (who holds the key, e.g. the calling system)');
if (!role || !(ROLES as readonly string[]).includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
if ((role === 'unit' || role === 'coordinator') && !unit) fail(`--unit <unitId> is required for role ${role}`);

const file = resolve(ROOT, values.file ?? 'deploy/api-keys.json');
let keys: ApiKeyEntry[] = [];
if (existsSync(file)) {
  try {
    const loaded = loadApiKeys({ API_KEYS_FILE: file });
    keys = loaded === 'dev' ? [] : loaded;
  } catch (error) {
    exitOnConfigError(error);
  }
}
if (keys.some((k) => k.name === name)) fail(`a key named ${name} is already in ${file}`);

const key = `jiesu_${randomBytes(24).toString('base64url')}`;
keys.push({ name, role: role as Role, keyHash: hashApiKey(key), ...(unit ? { unitId: unit } : {}) });
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
console.log(`added ${name} (${role}${unit ? ` of ${unit}` : ''}) to ${file}`);
console.log(`key (shown once, store it with the caller): ${key}`);
