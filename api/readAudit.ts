/**
 * Every answer that discloses a requester's contact in clear or an appeal's content (text,
 * address, attachments) is written to `read_audit` before it leaves (Art. 26, 29(4)): who (key
 * name, role, unit), which appeal, what, by which route and request. A read whose trail cannot be
 * written fails: nothing is disclosed unlogged.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
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
