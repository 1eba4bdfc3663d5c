import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * `POST /v1/appeals` idempotency: the caller's key, the hash of the request it came with,
 * and the appeal id reserved for it. Written before the workflow starts, so a retry after a
 * lost response finds the same appeal id and Temporal's id conflict answers "already started".
 */
export const idempotencyKeys = pgTable('idempotency_keys', {
  key: text('key').primaryKey(),
  requestHash: text('request_hash').notNull(),
  appealId: text('appeal_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type IdempotencyKey = typeof idempotencyKeys.$inferSelect;
