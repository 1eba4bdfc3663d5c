/**
 * What anonymisation erases of a closed appeal once its retention period is over (Art. 26: analysis
 * only "with personal privacy protected"), as pure functions over the stored values. The facts the
 * statistics count — stage, category, place down to the street, dates, outcomes, the callback's
 * answers, units, deadlines — stay; the requester's name and phone, the content, the address,
 * attachments and every text written to or about the requester go.
 */

/** What stands where text was erased. */
export const ANONYMISED = '[已匿名化]';

/** The requester's contact as recorded: every occurrence is erased from the texts that stay. */
export interface Requester {
  name?: string | null;
  phone?: string | null;
}

/** A mobile number standing alone in free text (not part of a longer run of digits). */
const MOBILE = /(?<!\d)1[3-9]\d{9}(?!\d)/g;

/**
 * Text written to or about the requester, erased whole wherever it is kept: a unit's result
 * (`summary`), the center's answer (`answer`), the organ's feedback, a co-handler's report (interim
 * or final), a first contact's, forwarding's or report-in's note; and the work order's own content
 * and address.
 */
const ERASED_TEXT_KEYS = new Set(['summary', 'answer', 'feedback', 'report', 'note', 'content']);
/** Kept only as references to the requester's files or other appeals: dropped. */
const DROPPED_KEYS = new Set(['requester', 'address', 'triageHints']);
/** Audit events (and timeline entries) whose reason is such a text. */
export const REQUESTER_TEXT_EVENTS: ReadonlySet<string> = new Set([
  'first_contact',
  'result_reported',
  'forwarding_feedback',
  'co_handler_report',
  'report_in',
]);
/**
 * Notifications to a unit that pass such a text on (the lead is told what a co-handler reported
 * or a summoned department said): their message is erased like a message to the requester.
 */
export const REQUESTER_TEXT_NOTICES: ReadonlySet<string> = new Set(['co_handler_report', 'report_in']);

/** `text` without the requester's name (2 characters or more: one would erase a common character), phone or any mobile number. */
export function scrubText(text: string, requester: Requester): string {
  let out = text;
  const name = requester.name?.trim();
  if (name && [...name].length >= 2) out = out.split(name).join(ANONYMISED);
  const phone = requester.phone?.trim();
  if (phone && phone.length >= 5) out = out.split(phone).join(ANONYMISED);
  return out.replace(MOBILE, ANONYMISED);
}

/**
 * A stored JSON value (a final case, a result, an audit payload) without personal data: the keys
 * above erased or dropped, `attachments` emptied, every other string scrubbed of the contact.
 */
export function scrubJson(value: unknown, requester: Requester): unknown {
  if (typeof value === 'string') return scrubText(value, requester);
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, requester));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  // A timeline entry or an audit event: its reason is the requester's text for some types.
  const erasedReason = typeof record.type === 'string' && REQUESTER_TEXT_EVENTS.has(record.type);
  for (const [key, v] of Object.entries(record)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (key === 'attachments' && Array.isArray(v)) out[key] = [];
    else if (typeof v === 'string' && (ERASED_TEXT_KEYS.has(key) || (key === 'reason' && erasedReason)))
      out[key] = ANONYMISED;
    else out[key] = scrubJson(v, requester);
  }
  return out;
}

/** An audit event's reason as anonymisation leaves it. */
export function scrubReason(type: string, reason: string | null, requester: Requester): string | null {
  if (reason === null) return null;
  return REQUESTER_TEXT_EVENTS.has(type) ? ANONYMISED : scrubText(reason, requester);
}
