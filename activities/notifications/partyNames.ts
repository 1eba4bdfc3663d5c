/**
 * The directory's names put into messages in place of the parties' references (see
 * domain/partyNames.ts), read once per call for the names it lacks and kept a few minutes: a
 * unit is renamed rarely, and a message then names it as it was called a moment before.
 */
import type { Database } from '../../db/client.js';
import { partyNames } from '../../db/queries/directory.js';
import { partyRefsIn, withPartyNames, type PartyKind } from '../../domain/partyNames.js';

const KEEP_MS = 5 * 60_000;

export function partyNamer(db: Database, now: () => number = Date.now) {
  const kept = new Map<string, { name: string; until: number }>();
  const key = (kind: PartyKind, id: string) => `${kind}:${id}`;

  /** The messages with their parties named; a message without references is left as it is, with no read. */
  return async function named<M extends { message: string }>(messages: M[]): Promise<M[]> {
    const refs = partyRefsIn(messages.map((m) => m.message));
    if (KINDS.every((kind) => refs[kind].length === 0)) return messages;
    const at = now();
    const missing = byKind((kind) => refs[kind].filter((id) => (kept.get(key(kind, id))?.until ?? 0) <= at));
    if (KINDS.some((kind) => missing[kind].length > 0)) {
      const read = await partyNames(db, missing);
      for (const kind of KINDS)
        for (const [id, name] of read[kind]) kept.set(key(kind, id), { name, until: at + KEEP_MS });
    }
    const names = byKind((kind) => new Map(refs[kind].flatMap((id) => nameOf(kept.get(key(kind, id)), id))));
    return messages.map((m) => ({ ...m, message: withPartyNames(m.message, names) }));
  };
}

const KINDS: readonly PartyKind[] = ['unit', 'district', 'category'];
const byKind = <T>(f: (kind: PartyKind) => T): Record<PartyKind, T> => ({
  unit: f('unit'),
  district: f('district'),
  category: f('category'),
});
const nameOf = (entry: { name: string } | undefined, id: string): [string, string][] =>
  entry ? [[id, entry.name]] : [];
