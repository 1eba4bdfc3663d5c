/**
 * Input PostgreSQL cannot store never gets in: `text` and `jsonb` refuse U+0000, and a lone
 * UTF-16 surrogate is refused by `jsonb` (and silently replaced in `text`). One hook for every
 * route refuses such a string wherever it comes — body (nested, arrays included), query string,
 * path parameters, and the headers the API keeps as data — with a 400 naming the field. A
 * request id longer than any the API keeps is refused the same way.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

/** Headers whose values the API stores or passes on (idempotency records, request ids in logs and replies). */
export const DATA_HEADERS = ['idempotency-key', 'x-request-id'] as const;

// With the `u` flag a paired surrogate is one code point; only a lone one is in \p{Cs}.
const UNSTORABLE = /[\0\p{Cs}]/u;

/** Why PostgreSQL would refuse `text`, if it would. */
export function unstorableText(text: string): string | undefined {
  if (!UNSTORABLE.test(text)) return undefined;
  return text.includes('\0') ? 'must not contain U+0000 (NUL)' : 'must not contain a lone UTF-16 surrogate';
}

/** As in Ajv's `instancePath` (JSON Pointer): `~` and `/` in a property name are escaped. */
const pointerToken = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The first string (or property name) in `value` that PostgreSQL cannot store, with its field
 * path under `root` (e.g. `body/requester/name`). Iterative: a deeply nested body cannot
 * exhaust the stack.
 */
export function findUnstorable(value: unknown, root: string): { field: string; problem: string } | undefined {
  const pending: [unknown, string][] = [[value, root]];
  while (pending.length > 0) {
    const [v, path] = pending.pop()!;
    if (typeof v === 'string') {
      const problem = unstorableText(v);
      if (problem) return { field: path, problem };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) pending.push([v[i], `${path}/${i}`]);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (const [key] of entries) {
        const problem = unstorableText(key);
        if (problem) return { field: path, problem: `a property name ${problem}` };
      }
      for (let i = entries.length - 1; i >= 0; i--)
        pending.push([entries[i]![1], `${path}/${pointerToken(entries[i]![0])}`]);
    }
  }
  return undefined;
}

/** The longest request id the API keeps (echoed, logged, written to the read audit), as for an `Idempotency-Key`. */
export const MAX_REQUEST_ID_LENGTH = 200;

function refusal(request: FastifyRequest): HttpError | undefined {
  const requestId = request.headers['x-request-id'];
  if (typeof requestId === 'string' && requestId.length > MAX_REQUEST_ID_LENGTH) {
    const field = 'headers/x-request-id';
    return new HttpError(
      400,
      `${field}: must NOT have more than ${MAX_REQUEST_ID_LENGTH} characters`,
      field,
      'VALIDATION',
    );
  }
  const headers = Object.fromEntries(
    DATA_HEADERS.filter((h) => request.headers[h] !== undefined).map((h) => [h, request.headers[h]]),
  );
  const found =
    findUnstorable(request.params, 'params') ??
    findUnstorable(request.query, 'querystring') ??
    findUnstorable(headers, 'headers') ??
    findUnstorable(request.body, 'body');
  if (!found) return undefined;
  return new HttpError(400, `${found.field}: ${found.problem}`, found.field, 'VALIDATION');
}

/** Registers the check before every route's schema validation (so before any handler, query or workflow). */
export function registerStorableInput(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const refused = refusal(request);
    if (refused) throw refused;
  });
}
