import { and, arrayOverlaps, asc, desc, inArray, isNull, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
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

/** Entries answering a question, best first, those scoring at least `minScore` only. */
export async function searchKnowledgeBase(db: DbOrTx, search: KnowledgeSearch): Promise<KnowledgeHit[]> {
  const terms = searchTerms(search.question);
  if (terms.length === 0) return [];
  const termArray = sql`array[${sql.join(
    terms.map((t) => sql`${t}`),
    sql`, `,
  )}]::text[]`;
  const shared = sql`cardinality(array(select unnest(${knowledgeBase.searchTerms}) intersect select unnest(${termArray})))`;
  const score =
    sql<number>`(2.0 * ${shared} / (cardinality(${knowledgeBase.searchTerms}) + ${terms.length}))::float8`.mapWith(
      Number,
    );

  const filters = [
    arrayOverlaps(knowledgeBase.searchTerms, terms),
    sql`${score} >= ${search.minScore ?? DEFAULT_MIN_SCORE}`,
  ];
  if (search.categoryCode) {
    const parts = search.categoryCode.split('.');
    const selfAndAncestors = parts.map((_, i) => parts.slice(0, i + 1).join('.'));
    filters.push(
      or(
        isNull(knowledgeBase.categoryCode),
        inArray(knowledgeBase.categoryCode, selfAndAncestors),
        sql`starts_with(${knowledgeBase.categoryCode}, ${`${search.categoryCode}.`})`,
      )!,
    );
  }
  return db
    .select({
      id: knowledgeBase.id,
      title: knowledgeBase.title,
      question: knowledgeBase.question,
      answer: knowledgeBase.answer,
      categoryCode: knowledgeBase.categoryCode,
      score,
    })
    .from(knowledgeBase)
    .where(and(...filters))
    .orderBy(desc(score), asc(knowledgeBase.id))
    .limit(search.limit ?? 5);
}
