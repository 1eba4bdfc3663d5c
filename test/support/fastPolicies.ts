/**
 * Real-time deadline scenarios on the dev server: policies whose windows last seconds, routed to
 * a category in one test file's own database only (the template and other files never see
 * them), and the API in dev-key mode, where a unit or coordinator acts with its documented key
 * `dev-unit-<unitId>` / `dev-coordinator-<unitId>`.
 */
import { eq } from 'drizzle-orm';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { inject } from 'vitest';
import { buildServer } from '../../api/buildServer.js';
import { loadApiConfig } from '../../api/config.js';
import { getPolicy } from '../../db/queries/reference.js';
import { deadlinePolicies, dispatchCatalogue } from '../../db/schema/reference.js';
import type { PolicyWindows } from '../../db/seed/data/types.js';
import type { TestDatabase } from './database.js';

/** An amount of natural hours that lasts `seconds`. */
export const secondsAsHours = (seconds: number): number => seconds / 3600;

export interface FastPolicy {
  /** The new policy's code (version 1, every appeal type, in force since 2021). */
  code: string;
  /** The seeded policy it copies (version 1). */
  copyOf?: string;
  /** Windows in seconds of natural time; the others stay as in the copied policy. */
  seconds: Partial<Record<keyof PolicyWindows, number>>;
  reminderLimits?: number[];
  escalationLevels?: number;
  coHandlerMarginHours?: number;
}

/** Inserts a copy of a seeded policy with windows of a few seconds. */
export async function addFastPolicy(database: TestDatabase, policy: FastPolicy): Promise<void> {
  const source = await getPolicy(database.db, policy.copyOf ?? 'emergency', 1);
  if (!source) throw new Error(`no seeded policy ${policy.copyOf ?? 'emergency'}@1 to copy`);
  const windows: PolicyWindows = { ...source.windows };
  for (const [name, seconds] of Object.entries(policy.seconds) as [keyof PolicyWindows, number][])
    windows[name] = { amount: secondsAsHours(seconds), unit: 'natural_hours' };
  await database.db.insert(deadlinePolicies).values({
    ...source,
    code: policy.code,
    version: 1,
    validFrom: '2021-01-01',
    validTo: null,
    appealTypes: null,
    description: `test policy: ${policy.copyOf ?? 'emergency'} with windows of seconds`,
    windows,
    ...(policy.reminderLimits ? { reminderLimits: policy.reminderLimits } : {}),
    ...(policy.escalationLevels !== undefined ? { escalationLevels: policy.escalationLevels } : {}),
    ...(policy.coHandlerMarginHours !== undefined ? { coHandlerMarginHours: policy.coHandlerMarginHours } : {}),
  });
}

/** Every catalogue entry of the category (whatever its scope) now names `policyCode`. */
export async function routeCategoryTo(database: TestDatabase, categoryCode: string, policyCode: string): Promise<void> {
  const updated = await database.db
    .update(dispatchCatalogue)
    .set({ policyCode })
    .where(eq(dispatchCatalogue.categoryCode, categoryCode))
    .returning({ id: dispatchCatalogue.id });
  if (updated.length === 0) throw new Error(`no catalogue entry for ${categoryCode}`);
}

/** The API without a key list (NODE_ENV=development): it takes the documented dev keys. */
export async function buildDevKeyApi(database: TestDatabase, taskQueue: string): Promise<FastifyInstance> {
  return buildServer(
    loadApiConfig({
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      NODE_ENV: 'development',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    }),
  );
}

export type Call = (
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: InjectOptions['payload'],
) => Promise<LightMyRequestResponse>;

/** Requests with one dev key, e.g. `withKey(app, 'dev-coordinator-chaoyang-gov')`. */
export const withKey =
  (app: FastifyInstance, key: string): Call =>
  (method, url, payload) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
