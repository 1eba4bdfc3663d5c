/**
 * Units, places and categories in messages: the workflow knows them by id only, while people know them by
 * name (建外街道, not chaoyang-jianwai). A message names a party with a reference, `{unit:<id>}`
 * or `{district:<id>}`, and the activity that says the message puts the directory's name in
 * (`withPartyNames`), or the id where the directory has none. Pure functions, safe in the sandbox.
 */
export type PartyKind = 'unit' | 'district' | 'category';

/** A unit (a directory unit, a street or township, a government) named in a message. */
export const unitRef = (unitId: string): string => `{unit:${unitId}}`;
/** A district named in a message. */
export const districtRef = (districtId: string): string => `{district:${districtId}}`;
/** A category of the catalogue named in a message. */
export const categoryRef = (categoryCode: string): string => `{category:${categoryCode}}`;

const PARTY_REF = /\{(unit|district|category):([^{}\s]+)\}/g;

/** The ids a text names, by kind. */
export function partyRefsIn(texts: readonly string[]): Record<PartyKind, string[]> {
  const found: Record<PartyKind, Set<string>> = { unit: new Set(), district: new Set(), category: new Set() };
  for (const text of texts) for (const [, kind, id] of text.matchAll(PARTY_REF)) found[kind as PartyKind].add(id!);
  return { unit: [...found.unit], district: [...found.district], category: [...found.category] };
}

/** The text with each reference replaced by the party's name, or by its id where `names` has none. */
export function withPartyNames(text: string, names: Record<PartyKind, ReadonlyMap<string, string>>): string {
  return text.replace(PARTY_REF, (_, kind: PartyKind, id: string) => names[kind].get(id) ?? id);
}
