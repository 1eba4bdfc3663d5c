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

/**
 * Who called without a key: only the codec server lets such a call in, with the development keys
 * (the dev server's UI has no sign-in to send one).
 */
export const ANONYMOUS_READER = { keyName: 'anonymous', role: 'anonymous' } as const;

/**
 * Writes the reads of this answer in one statement; call it before returning the answer.
 * `workflowId`: the execution the request said it read (the codec server's caller), if it said.
 */
export async function auditReads(
  app: FastifyInstance,
  request: FastifyRequest,
  reads: readonly AppealRead[],
  { workflowId }: { workflowId?: string } = {},
): Promise<void> {
  if (reads.length === 0) return;
  const principal = request.principal;
  const who = principal
    ? { keyName: principal.name, role: principal.role, unitId: principal.unitId ?? null }
    : { ...ANONYMOUS_READER, unitId: null };
  try {
    await recordReads(
      app.db,
      {
        ...who,
        route: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
        requestId: request.id,
        workflowId: workflowId ?? null,
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

const JSON_ENCODINGS = new Set(['json/plain', 'json/protobuf']);
const NULL_ENCODING = 'binary/null';
/** A mobile number standing alone (not part of a longer run of digits). */
const MOBILE = /(?<!\d)1[3-9]\d{9}(?!\d)/;
/** An id, a code, a number or an instant: no text anyone wrote (which has spaces, CJK, punctuation …). */
const NOT_TEXT = /^[A-Za-z0-9_.:+-]*$/;

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
 * What a value discloses wherever it sits: a requester's name or phone, or a mobile number in any
 * string (`contact`); any text someone wrote (`content`: a summary, a note, a reason, an answer).
 */
function disclosedIn(value: unknown, depth: number, found = new Set<ReadField>()): Set<ReadField> {
  if (typeof value === 'string') {
    if (MOBILE.test(value)) found.add('contact');
    if (!NOT_TEXT.test(value.trim())) found.add('content');
    return found;
  }
  // Deeper than any value the workflows pass: whatever lies below is taken as text.
  if (depth > 12) return value !== null && typeof value === 'object' ? found.add('content') : found;
  if (value === null || typeof value !== 'object') return found;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'requester' && v !== null && typeof v === 'object') {
      const requester = v as { name?: unknown; phone?: unknown };
      if (requester.name || requester.phone) found.add('contact');
    }
    disclosedIn(v, depth + 1, found);
  }
  return found;
}

/**
 * What the codec server disclosed by decrypting these payloads (the payloads it decrypted, as they
 * came out): the appeals whose work order (the workflow's input, the intake activity's argument) is
 * among them; and every other payload that holds a contact or text, attributed to the appeal it
 * names at its top (a case, a notification) or, naming none (an Update's argument, a bare string),
 * to no appeal (`appealId: null`). A payload that is not JSON is taken as text.
 */
export function readsInPayloads(payloads: readonly Payload[]): AppealRead[] {
  const out: AppealRead[] = [];
  for (const p of payloads) {
    const encoding = Buffer.from(p.metadata?.encoding ?? []).toString();
    const data = Buffer.from(p.data ?? []);
    if (encoding === NULL_ENCODING || data.length === 0) continue;
    let value: unknown;
    try {
      if (!JSON_ENCODINGS.has(encoding)) throw new Error(`not JSON: ${encoding}`);
      value = JSON.parse(data.toString()) as unknown;
    } catch {
      // Bytes the service cannot read: what they say is unknown, so they count as text.
      out.push({ appealId: null, fields: ['content'] });
      continue;
    }
    const named: AppealRead[] = [];
    readsInValue(value, 0, named);
    if (named.length > 0) {
      out.push(...named);
      continue;
    }
    const fields = disclosedIn(value, 0);
    if (fields.size === 0) continue;
    const top = value !== null && typeof value === 'object' ? (value as { appealId?: unknown }).appealId : undefined;
    out.push({ appealId: typeof top === 'string' ? top : null, fields: [...fields] });
  }
  return out;
}

/**
 * The execution the Temporal UI's page shows (`/namespaces/<ns>/workflows/<workflowId>/…`), from
 * the page address the browser sends with the request: in full when the UI and the codec server
 * share an origin (behind one gateway), only the origin otherwise (then undefined).
 */
export function workflowIdOfReferer(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    const match = /^\/namespaces\/[^/]+\/workflows\/([^/]+)/.exec(new URL(referer).pathname);
    const id = match ? decodeURIComponent(match[1]!) : '';
    return id && id.length <= 1000 ? id : undefined;
  } catch {
    return undefined;
  }
}
