/**
 * `npm run dev`'s payload key: made once, at random, beside the dev server's SQLite file (the
 * histories it encrypts live there), readable by the owner only, never in the repository.
 * Deleting `.jiesu/` deletes both together. PAYLOAD_KEYS in the environment takes precedence.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { newPayloadKey, parsePayloadKeys } from '../../platform/payloadCodec.js';
import { STATE_DIR } from './paths.js';

export const DEV_PAYLOAD_KEYS_FILE = join(STATE_DIR, 'temporal', 'payload-keys');

/** The dev keys (`PAYLOAD_KEYS` format) if `npm run dev` has made them. */
export async function readDevPayloadKeys(file = DEV_PAYLOAD_KEYS_FILE): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  const PAYLOAD_KEYS = (await readFile(file, 'utf8')).trim();
  parsePayloadKeys({ PAYLOAD_KEYS });
  return PAYLOAD_KEYS;
}

/** The dev keys, made on the first run. */
export async function devPayloadKeys(
  file = DEV_PAYLOAD_KEYS_FILE,
): Promise<{ PAYLOAD_KEYS: string; created: boolean }> {
  const existing = await readDevPayloadKeys(file);
  if (existing) return { PAYLOAD_KEYS: existing, created: false };
  const PAYLOAD_KEYS = `dev-${new Date().toISOString().slice(0, 10)}:${newPayloadKey()}`;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${PAYLOAD_KEYS}\n`, { mode: 0o600, flag: 'wx' });
  return { PAYLOAD_KEYS, created: true };
}
