/**
 * Every answer that discloses a requester's contact in clear or an appeal's content (text,
 * address, attachments) is written to `read_audit` before it leaves (Art. 26, 29(4)): who (key
 * name, role, unit), which appeal, what, by which route and request. A read whose trail cannot be
 * written fails: nothing is disclosed unlogged.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Payload } from '@temporalio/common';
import { recordReads, type AppealRead } from '../db/queries/readAudit.js';
import type { ReadField } from '../db/schema/privacy.js';
import type { Sight } from './visibility.js';

export type { AppealRead };

/** What a case answer with this sight discloses; a masked contact discloses nothing of the contact. */
export function fieldsOfCase(sight: Sight, hasContact: boolean): ReadField[] {
  if (!sight.workOrder) return [];
  return sight.contactInClear && hasContact ? ['contact', 'content'] : ['content'];
}

/** Writes the reads of this answer in one statement; call it before returning the answer. */
export async function auditReads(
  app: FastifyInstance,
  request: FastifyRequest,
  reads: readonly AppealRead[],
): Promise<void> {
  const principal = request.principal;
  if (!principal || reads.length === 0) return;
  try {
    await recordReads(
      app.db,
      {
        keyName: principal.name,
        role: principal.role,
        unitId: principal.unitId ?? null,
        route: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
        requestId: request.id,
      },
      reads,
    );
  } catch (error) {
    request.log.error({ err: error }, 'read audit not written: the answer is withheld');
    throw error;
  }
}

/** A list's reads: the content of every item it shows (a summary carries the content's first line). */
export const contentReads = (appealIds: Iterable<string>): AppealRead[] =>
  [...new Set(appealIds)].map((appealId) => ({ appealId, fields: ['content'] }));

const JSON_ENCODING = 'json/plain';

/** The appeals a value names with their content or requester: a work order, or one inside an array or object. */
function readsInValue(value: unknown, depth: number, out: AppealRead[]): void {
  if (depth > 3 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) readsInValue(v, depth + 1, out);
    return;
  }
  const record = value as Record<string, unknown>;
  if (typeof record.appealId === 'string') {
    const requester = record.requester as { name?: unknown; phone?: unknown } | undefined;
    const fields: ReadField[] = [];
    if (requester && (requester.name || requester.phone)) fields.push('contact');
    if (typeof record.content === 'string' || typeof record.address === 'string') fields.push('content');
    if (fields.length > 0) out.push({ appealId: record.appealId, fields });
  }
  for (const v of Object.values(record)) readsInValue(v, depth + 1, out);
}

/**
 * What the codec server disclosed by decoding: the appeals whose work order (the workflow's
 * input, the intake activity's argument) is among the payloads in clear. A payload that names no
 * appeal (a bare string) cannot be attributed to one.
 */
export function readsInPayloads(payloads: readonly Payload[]): AppealRead[] {
  const out: AppealRead[] = [];
  for (const p of payloads) {
    if (Buffer.from(p.metadata?.encoding ?? []).toString() !== JSON_ENCODING || !p.data) continue;
    try {
      readsInValue(JSON.parse(Buffer.from(p.data).toString()) as unknown, 0, out);
    } catch {
      // Not JSON after all: nothing to attribute.
    }
  }
  return out;
}
