/**
 * The attachment references of a body (the work order's, a unit's report's), checked against
 * the domain's limits before anything starts or reaches a case: a 400 naming the field
 * (`body/attachments/0/size: …`). The schema has already shaped each reference.
 */
import { attachmentRefusal, normaliseAttachments } from '../domain/attachments.js';
import type { AttachmentRef } from '../domain/appeal.js';
import { HttpError } from './errors.js';

/** The references as kept (see `normaliseAttachments`); undefined when the body has none. */
export function checkedAttachments(body: { attachments?: AttachmentRef[] }): AttachmentRef[] | undefined {
  if (!body.attachments?.length) return undefined;
  const refusal = attachmentRefusal(body.attachments);
  if (refusal)
    throw new HttpError(400, `body/${refusal.field}: ${refusal.message}`, `body/${refusal.field}`, 'VALIDATION');
  return normaliseAttachments(body.attachments);
}
