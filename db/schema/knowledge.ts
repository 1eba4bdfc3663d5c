import { sql } from 'drizzle-orm';
import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { categories } from './reference.js';

/**
 * The hotline knowledge base (热线知识库, Art. 13): answers given on the spot to
 * consultations. `searchTerms` holds the search terms of title, question and keywords
 * (Chinese characters and character bigrams, Latin words and numbers; see
 * db/queries/knowledge.ts), written by the seed; the GIN index finds entries sharing a term.
 */
export const knowledgeBase = pgTable(
  'knowledge_base',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    question: text('question').notNull(),
    answer: text('answer').notNull(),
    keywords: text('keywords')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    categoryCode: text('category_code').references(() => categories.code),
    searchTerms: text('search_terms').array().notNull(),
  },
  (t) => [
    index('knowledge_base_search_terms_idx').using('gin', t.searchTerms),
    index('knowledge_base_category_idx').on(t.categoryCode),
  ],
);

export type KnowledgeBaseEntry = typeof knowledgeBase.$inferSelect;
export type NewKnowledgeBaseEntry = typeof knowledgeBase.$inferInsert;
