/**
 * Who calls Open311's front door. GeoReport v2 sends the key as `api_key` (in the form of a
 * POST, or the query string); `Authorization: Bearer` works too. Each key is one of the API's
 * keys, found by the same hash look-up, with the same role. `jurisdiction_id` may be left out
 * (there is one jurisdiction); any other value is the spec's 404.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../../errors.js';
import type { Principal } from '../../plugins/auth.js';

/** This service's one jurisdiction. */
export const JURISDICTION_ID = 'beijing';

export function checkJurisdiction(jurisdictionId: string | undefined): void {
  if (jurisdictionId !== undefined && jurisdictionId !== JURISDICTION_ID)
    throw new HttpError(404, `jurisdiction_id ${jurisdictionId} not found: this endpoint serves ${JURISDICTION_ID}`);
}

/** The key the request carries, wherever GeoReport clients put it. */
function keyOf(request: FastifyRequest): string | undefined {
  const fromBody = (request.body as { api_key?: unknown } | undefined)?.api_key;
  const fromQuery = (request.query as { api_key?: unknown } | undefined)?.api_key;
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const key = fromBody ?? fromQuery ?? bearer;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/** The caller of a request that needs a key; the spec's 403 when there is none or it is unknown. */
export function requireKey(app: FastifyInstance, request: FastifyRequest): Principal {
  const principal = optionalKey(app, request);
  if (!principal) throw new HttpError(403, 'api_key was not provided or is invalid');
  return principal;
}

/** The caller when the request carries a key (403 for an unknown one), else undefined. */
export function optionalKey(app: FastifyInstance, request: FastifyRequest): Principal | undefined {
  const key = keyOf(request);
  if (key === undefined) return undefined;
  const principal = app.identify(key);
  if (!principal) throw new HttpError(403, 'api_key was not provided or is invalid');
  request.principal = principal;
  request.log = request.log.child({ caller: principal.name, role: principal.role });
  return principal;
}
