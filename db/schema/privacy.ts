import { bigint, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** What a read disclosed: the requester's contact (name, phone) or the appeal's content (text, address, attachments). */
export const READ_FIELDS = ['contact', 'content'] as const;
export type ReadField = (typeof READ_FIELDS)[number];

/**
 * Who read what (Art. 26, 29(4)): one row per API answer that disclosed a requester's contact or
 * an appeal's content to a caller, written before the answer leaves. Append-only: migration 0011
 * refuses UPDATE and DELETE on it (a trigger), so the trail cannot be edited through the service.
 */
export const readAudit = pgTable(
  'read_audit',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: instant('at').notNull().defaultNow(),
    /** The API key's name (never the key), its role and unit binding. */
    keyName: text('key_name').notNull(),
    role: text('role').notNull(),
    unitId: text('unit_id'),
    /**
     * The appeal read; null when the answer disclosed text that names no appeal (a payload the codec
     * server decoded for the Temporal UI that carries no appeal id).
     */
    appealId: text('appeal_id'),
    fields: text('fields').array().$type<ReadField[]>().notNull(),
    /** The route that answered, e.g. `GET /v1/appeals/:appealId`. */
    route: text('route').notNull(),
    requestId: text('request_id'),
    /** The workflow execution the codec server decoded payloads of, when the request said (the UI's page address). */
    workflowId: text('workflow_id'),
  },
  (t) => [
    index('read_audit_appeal_idx').on(t.appealId, t.at),
    index('read_audit_key_idx').on(t.keyName, t.at),
    index('read_audit_at_idx').on(t.at),
  ],
);

/**
 * The work order number's daily counter (工单编号): `day` is the Beijing date `YYYYMMDD` of intake,
 * `lastNo` the last number given that day. Bumped in the intake's own transaction, so numbers are
 * unique and gap-free per day.
 */
export const workOrderDays = pgTable('work_order_days', {
  day: text('day').primaryKey(),
  lastNo: integer('last_no').notNull(),
});

export type ReadAuditRow = typeof readAudit.$inferSelect;
export type NewReadAuditRow = typeof readAudit.$inferInsert;
