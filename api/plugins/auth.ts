import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fp from 'fastify-plugin';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConfigError } from '../../platform/env.js';
import type { Party } from '../../domain/appeal.js';
import { findHandlingUnit } from '../../db/queries/directory.js';
import { HttpError } from '../errors.js';

export const ROLES = ['intake', 'center', 'unit', 'coordinator', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const ApiKeyEntry = Type.Object(
  {
    keyHash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    unitId: Type.Optional(Type.String({ minLength: 1 })),
    name: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);
const ApiKeyList = Type.Array(ApiKeyEntry);
export type ApiKeyEntry = Static<typeof ApiKeyEntry>;

/** Who called: the key's role, its unit binding and name. */
export interface Principal {
  name: string;
  role: Role;
  unitId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    /** onRequest hook: 401 unless `Authorization: Bearer <key>` names a configured key. */
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    /** The principal a raw key names, or undefined (for a front door that takes the key elsewhere, e.g. Open311's `api_key`). */
    identify(key: string): Principal | undefined;
  }
}

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Dev mode's fixed keys (only when no key configuration is given and NODE_ENV is development). */
export const DEV_KEYS_NOTE =
  'dev-intake, dev-center, dev-supervisor, dev-admin, dev-unit-<unitId> (e.g. dev-unit-beijing-water), dev-coordinator-<unitId>';

function devPrincipal(key: string): Principal | undefined {
  const fixed: Record<string, Role> = {
    'dev-intake': 'intake',
    'dev-center': 'center',
    'dev-supervisor': 'supervisor',
    'dev-admin': 'admin',
  };
  const role = fixed[key];
  if (role) return { name: key, role };
  const bound = /^dev-(unit|coordinator)-([A-Za-z0-9._-]+)$/.exec(key);
  if (bound) return { name: key, role: bound[1] as 'unit' | 'coordinator', unitId: bound[2]! };
  return undefined;
}

/** Reads and checks the key list once at start-up; a bad list stops the process naming the variable. */
export function loadApiKeys(config: { API_KEYS?: string; API_KEYS_FILE?: string }): ApiKeyEntry[] | 'dev' {
  let source: string;
  let raw: string;
  if (config.API_KEYS !== undefined) {
    source = 'API_KEYS';
    raw = config.API_KEYS;
  } else if (config.API_KEYS_FILE !== undefined) {
    source = 'API_KEYS_FILE';
    try {
      raw = readFileSync(config.API_KEYS_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `invalid configuration:\n  API_KEYS_FILE: cannot read ${config.API_KEYS_FILE} (${(error as Error).message})`,
      );
    }
  } else return 'dev';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`invalid configuration:\n  ${source}: not JSON`);
  }
  const errors = [...Value.Errors(ApiKeyList, parsed)];
  if (errors.length > 0)
    throw new ConfigError(`invalid configuration:\n  ${source}${errors[0]!.path}: ${errors[0]!.message}`);
  const keys = parsed as ApiKeyEntry[];
  for (const k of keys) {
    if ((k.role === 'unit' || k.role === 'coordinator') && !k.unitId)
      throw new ConfigError(`invalid configuration:\n  ${source}: key ${k.name} (${k.role}) needs a unitId`);
  }
  return keys;
}

/** The party a principal acts as in the workflow; `undefined` for read-only roles. */
export function partyOf(principal: Principal): Party | undefined {
  switch (principal.role) {
    case 'intake':
      return { role: 'intake' };
    case 'center':
    case 'admin':
      return { role: 'center' };
    case 'unit':
      return { role: 'unit', unitId: principal.unitId! };
    case 'coordinator':
      return { role: 'coordinator', unitId: principal.unitId! };
    case 'supervisor':
      return undefined;
  }
}

export default fp<{ keys: ApiKeyEntry[] | 'dev'; nodeEnv: string }>(
  async (app, { keys, nodeEnv }) => {
    if (keys === 'dev') {
      if (nodeEnv !== 'development')
        throw new ConfigError(
          'invalid configuration:\n  API_KEYS / API_KEYS_FILE: one is required outside NODE_ENV=development',
        );
      app.log.warn(
        `NO API KEYS CONFIGURED: dev mode accepts the fixed keys ${DEV_KEYS_NOTE}. Set API_KEYS or API_KEYS_FILE for anything but local development.`,
      );
    }
    const table =
      keys === 'dev'
        ? []
        : keys.map((k) => ({
            hash: Buffer.from(k.keyHash, 'hex'),
            principal: { name: k.name, role: k.role, ...(k.unitId ? { unitId: k.unitId } : {}) },
          }));

    const identify = (key: string): Principal | undefined => {
      if (keys === 'dev') return devPrincipal(key);
      const hash = createHash('sha256').update(key).digest();
      return table.find((k) => timingSafeEqual(k.hash, hash))?.principal;
    };
    app.decorate('identify', identify);

    // A dev key names its unit in the key itself: one the directory does not know is no party.
    // Units once found are remembered; a miss is asked again (a unit may be added meanwhile).
    const knownUnits = new Set<string>();
    const devUnitKnown = async (unitId: string): Promise<boolean> => {
      if (knownUnits.has(unitId)) return true;
      if (!(await findHandlingUnit(app.db, unitId))) return false;
      knownUnits.add(unitId);
      return true;
    };

    app.decorate('authenticate', async (request: FastifyRequest) => {
      const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
      if (!match) throw new HttpError(401, 'missing API key: send Authorization: Bearer <key>');
      const principal = identify(match[1]!);
      if (!principal) throw new HttpError(401, 'unknown API key');
      if (keys === 'dev' && principal.unitId && !(await devUnitKnown(principal.unitId)))
        throw new HttpError(
          401,
          `unknown API key: ${principal.name} names unit ${principal.unitId}, not in the directory`,
        );
      request.principal = principal;
      request.log = request.log.child({ caller: principal.name, role: principal.role });
    });
  },
  { name: 'auth', dependencies: ['db'] },
);
