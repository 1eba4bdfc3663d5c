/**
 * Real-time deadline scenarios on the dev server: policies whose windows last seconds, routed to
 * a category in one test file's own database only (the template and other files never see
 * them), and the API in dev-key mode, where a unit or coordinator acts with its documented key
 * `dev-unit-<unitId>` / `dev-coordinator-<unitId>`.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { inject } from 'vitest';
import { buildServer } from '../../api/buildServer.js';
import { loadApiConfig } from '../../api/config.js';
import type { TestDatabase } from './database.js';

export { addFastPolicy, routeCategoryTo, secondsAsHours, type FastPolicy } from '../../scripts/lib/fastPolicies.js';

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
