/**
 * Art. 9(2): a requester may appeal by voice, text, image or video, and a unit may show what it
 * did. Such files are attached by reference (`AttachmentRef`: where the intake or unit system
 * stores the bytes, their type, size and SHA-256), never by value, so no byte of them enters a
 * workflow's history or the case record. These are the limits a reference must keep; the API's
 * schemas carry the same lists, and `attachmentRefusal` checks what a schema cannot (the size
 * limit of each kind, the URL's parts).
 */
import type { AttachmentRef } from './appeal.js';

const MB = 1024 * 1024;

/** What may be attached, by kind: the content types a hotline's phones, apps and cameras produce, and the size limit. */
export const ATTACHMENT_KINDS = {
  image: { contentTypes: ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/gif'], maxBytes: 20 * MB },
  audio: {
    contentTypes: ['audio/mpeg', 'audio/amr', 'audio/wav', 'audio/mp4', 'audio/aac', 'audio/ogg'],
    maxBytes: 50 * MB,
  },
  video: { contentTypes: ['video/mp4', 'video/quicktime', 'video/3gpp', 'video/webm'], maxBytes: 500 * MB },
} as const;
export type AttachmentKind = keyof typeof ATTACHMENT_KINDS;

export const ATTACHMENT_CONTENT_TYPES = Object.values(ATTACHMENT_KINDS).flatMap((k) => k.contentTypes);
/** The largest size of any kind (a schema's bound; each kind's own is checked by `attachmentRefusal`). */
export const MAX_ATTACHMENT_BYTES = Math.max(...Object.values(ATTACHMENT_KINDS).map((k) => k.maxBytes));
/** Per work order or report: enough for a scene from several sides, few enough to keep the case small. */
export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENT_URL_LENGTH = 2000;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

export function kindOf(contentType: string): AttachmentKind | undefined {
  return (Object.keys(ATTACHMENT_KINDS) as AttachmentKind[]).find((kind) =>
    (ATTACHMENT_KINDS[kind].contentTypes as readonly string[]).includes(contentType),
  );
}

const megabytes = (bytes: number) => `${bytes / MB} MB`;

/**
 * A user name or password in a URL would be kept (in a case's history, an endpoint's row) and
 * shown to everyone who reads it: the refusal of such a URL, or undefined.
 */
export const credentialsRefusal = (url: URL): string | undefined =>
  url.username || url.password ? 'must not carry a user name or password' : undefined;

/**
 * The first reason a list of references is refused, with the field it concerns relative to the
 * list's owner (`attachments/0/size`), or undefined when every reference keeps the limits.
 */
export function attachmentRefusal(refs: readonly AttachmentRef[]): { field: string; message: string } | undefined {
  if (refs.length > MAX_ATTACHMENTS)
    return { field: 'attachments', message: `at most ${MAX_ATTACHMENTS} attachments per message` };
  for (const [i, ref] of refs.entries()) {
    const at = (name: string, message: string) => ({ field: `attachments/${i}/${name}`, message });
    let url: URL;
    try {
      url = new URL(ref.url);
    } catch {
      return at('url', 'not a URL');
    }
    // A data: (or any other) URL would carry the bytes themselves into the case.
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      return at('url', `only http(s) references are taken, not ${url.protocol} (the bytes stay in their store)`);
    if (ref.url.length > MAX_ATTACHMENT_URL_LENGTH) return at('url', `at most ${MAX_ATTACHMENT_URL_LENGTH} characters`);
    const credentials = credentialsRefusal(url);
    if (credentials) return at('url', credentials);
    const kind = kindOf(ref.contentType);
    if (!kind) return at('contentType', `must be one of ${ATTACHMENT_CONTENT_TYPES.join(', ')}`);
    if (!Number.isInteger(ref.size) || ref.size <= 0) return at('size', 'must be a positive number of bytes');
    const { maxBytes } = ATTACHMENT_KINDS[kind];
    if (ref.size > maxBytes)
      return at('size', `${kind} attachments may be at most ${megabytes(maxBytes)} (${maxBytes} bytes)`);
    if (!SHA256_HEX.test(ref.sha256)) return at('sha256', 'must be the SHA-256 of the bytes as 64 hex digits');
  }
  return undefined;
}

/** The references as kept: the hash in lower case, so the same file always reads the same. */
export const normaliseAttachments = (refs: readonly AttachmentRef[]): AttachmentRef[] =>
  refs.map(({ url, contentType, size, sha256, name }) => ({
    url,
    contentType,
    size,
    sha256: sha256.toLowerCase(),
    ...(name ? { name } : {}),
  }));
