import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { preparedPerHandle, type DbOrTx } from '../client.js';
import { knowledgeBase } from '../schema/knowledge.js';

/*
 * Search for Chinese text. PostgreSQL's default text-search parser does not split Chinese,
 * and pg_trgm cannot either on this project's databases: they are created with the C
 * locale (scripts/lib/postgres.ts), under which pg_trgm sees no word characters in Chinese
 * text at all (show_trgm('暖气不热') is empty). So the terms are made here, the way CJK
 * search engines do without a dictionary: every Chinese character and every pair of
 * neighbouring characters, plus Latin words and numbers. Entries store their terms in a
 * GIN-indexed array; a question finds the entries sharing a term and ranks them by the
 * Dice coefficient of the two term sets. Same behaviour under any database locale.
 */

/** Characters and pairs that carry no meaning in a question (particles, pronouns, "how/what"). */
const STOP_TERMS = new Set([
  ...'的了吗呢吧啊呀么我你他她它们是在和与或就都也还这那怎什哪个一',
  ...['怎么', '么办', '什么', '么样', '可以', '应该', '如何', '哪里', '请问', '一下', '我们', '你们', '他们'],
  ...['是不', '不是', '能不', '有没', '没有', '时候', '么时'],
]);

const RUNS = /\p{Script=Han}+|[\p{L}\p{N}]+/gu;
const HAN = /\p{Script=Han}/u;

/** The search terms of a text: Chinese characters and character bigrams, Latin words and numbers. */
export function searchTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const [run] of text.normalize('NFKC').toLowerCase().matchAll(RUNS)) {
    if (!HAN.test(run)) {
      terms.add(run);
      continue;
    }
    const chars = [...run];
    chars.forEach((char, i) => {
      if (!STOP_TERMS.has(char)) terms.add(char);
      const next = chars[i + 1];
      if (next !== undefined && !STOP_TERMS.has(char + next)) terms.add(char + next);
    });
  }
  return [...terms];
}

/** What an entry is searched by: its title, question and keywords (not the long answer). */
export function entrySearchTerms(entry: { title: string; question: string; keywords: string[] }): string[] {
  return searchTerms([entry.title, entry.question, ...entry.keywords].join(' '));
}

/** Below this score a match is noise (a question about something else shares a few characters). */
export const DEFAULT_MIN_SCORE = 0.1;

export interface KnowledgeSearch {
  question: string;
  /**
   * Restricts the search to the category's branch: entries of the category, of its
   * ancestors and of its descendants, and entries for every category (no category).
   */
  categoryCode?: string;
  limit?: number;
  minScore?: number;
}

export interface KnowledgeHit {
  id: string;
  title: string;
  question: string;
  answer: string;
  categoryCode: string | null;
  /** Dice coefficient of the question's and the entry's terms, 0..1. */
  score: number;
}

/*
 * One statement for every search, prepared by name: the question's terms are one array
 * parameter and the category branch is optional by parameter, so drizzle builds it once (a
 * question of a hundred characters inlined as separate parameters took milliseconds to build
 * at every intake's triage hints).
 */
const TERMS = sql`${sql.placeholder('terms')}::text[]`;
const CATEGORY = sql`${sql.placeholder('category')}::text`;
const SHARED = sql`cardinality(array(select unnest(${knowledgeBase.searchTerms}) intersect select unnest(${TERMS})))`;
const SCORE = sql<number>`(2.0 * ${SHARED} / (cardinality(${knowledgeBase.searchTerms}) + cardinality(${TERMS})))::float8`;

const knowledgeSearch = preparedPerHandle((db) =>
  db
    .select({
      id: knowledgeBase.id,
      title: knowledgeBase.title,
      question: knowledgeBase.question,
      answer: knowledgeBase.answer,
      categoryCode: knowledgeBase.categoryCode,
      score: SCORE.mapWith(Number),
    })
    .from(knowledgeBase)
    .where(
      and(
        sql`${knowledgeBase.searchTerms} && ${TERMS}`,
        sql`${SCORE} >= ${sql.placeholder('minScore')}::float8`,
        // The branch: the category's own entries, its ancestors', its descendants', and entries for every category.
        sql`(${CATEGORY} is null or ${knowledgeBase.categoryCode} is null
          or ${knowledgeBase.categoryCode} = any(${sql.placeholder('selfAndAncestors')}::text[])
          or starts_with(${knowledgeBase.categoryCode}, ${CATEGORY} || '.'))`,
      ),
    )
    .orderBy(desc(SCORE), asc(knowledgeBase.id))
    .limit(sql.placeholder('limit'))
    .prepare('knowledge_search'),
);

/** Entries answering a question, best first, those scoring at least `minScore` only. */
export async function searchKnowledgeBase(db: DbOrTx, search: KnowledgeSearch): Promise<KnowledgeHit[]> {
  const terms = searchTerms(search.question);
  if (terms.length === 0) return [];
  const parts = search.categoryCode?.split('.') ?? [];
  return knowledgeSearch(db).execute({
    terms,
    minScore: search.minScore ?? DEFAULT_MIN_SCORE,
    category: search.categoryCode || null,
    selfAndAncestors: parts.map((_, i) => parts.slice(0, i + 1).join('.')),
    limit: search.limit ?? 5,
  });
}

/** Whether the knowledge base has an entry with this id (a triage answer may cite one). */
export async function knowledgeEntryExists(db: DbOrTx, id: string): Promise<boolean> {
  const [row] = await db.select({ id: knowledgeBase.id }).from(knowledgeBase).where(eq(knowledgeBase.id, id));
  return row !== undefined;
}
