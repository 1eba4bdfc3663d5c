import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { AccountabilityKind, AppealCase, AttachmentRef } from '../../domain/appeal.js';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * One row per appeal: the work order (工单) as recorded at intake and its current state,
 * kept current by the workflow's activities. Supervisors and integrations read it after the
 * fact; the workflow itself never reads it back to decide.
 */
export const appeals = pgTable(
  'appeals',
  {
    id: text('id').primaryKey(),
    workflowId: text('workflow_id').notNull(),
    channel: text('channel').notNull(),
    appealType: text('appeal_type').notNull(),
    categoryCode: text('category_code').notNull(),
    districtId: text('district_id'),
    streetId: text('street_id'),
    address: text('address'),
    content: text('content').notNull(),
    /** Personal data: stored for the callback, never logged. */
    requesterName: text('requester_name'),
    requesterPhone: text('requester_phone'),
    stabilityRisk: boolean('stability_risk').notNull().default(false),
    stage: text('stage').notNull(),
    leadUnitId: text('lead_unit_id'),
    coHandlerIds: text('co_handler_ids')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Lead, supervising, co-handling, summoned, coordinating and consulted units: who may see the case. */
    involvedUnitIds: text('involved_unit_ids')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Who must act next (`center`, `unit:<id>`, `coordinator:<id>`, `requester`, `none`), since when. */
    nextActor: text('next_actor'),
    waitingSince: instant('waiting_since'),
    /** Everyone who owes something now (`center`, `unit:<id>`, `coordinator:<id>`): inboxes put these first. */
    pendingActors: text('pending_actors')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Every deadline of the case as absolute instants (ISO strings), by window name. */
    deadlines: jsonb('deadlines').$type<Record<string, string>>().notNull().default({}),
    dueAt: instant('due_at'),
    overdue: boolean('overdue').notNull().default(false),
    escalationLevel: integer('escalation_level').notNull().default(0),
    policyCode: text('policy_code'),
    policyVersion: integer('policy_version'),
    disposition: text('disposition'),
    result: jsonb('result').$type<Record<string, unknown>>(),
    callback: jsonb('callback').$type<Record<string, unknown>>(),
    originalAppealId: text('original_appeal_id'),
    /** The case as the workflow last saw it, written at the close (`AppealCase`). */
    finalCase: jsonb('final_case').$type<AppealCase>(),
    /**
     * The case as the workflow holds it now, written at every change (`AppealCase`): what the API
     * reads for an open case. Null for a case started before it was kept (the API asks its workflow).
     */
    currentCase: jsonb('current_case').$type<AppealCase>(),
    /** Last audit sequence number used; bumped under a row lock so sequences have no gaps. */
    lastSeq: integer('last_seq').notNull().default(0),
    receivedAt: instant('received_at').notNull(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
    closedAt: instant('closed_at'),
    /** 工单编号: `YYYYMMDD` (Beijing date of intake) and the day's sequence, given when the intake is recorded. */
    workOrderNo: text('work_order_no'),
    /** Images, audio and video of the work order, by reference only (`AttachmentRef`); the bytes live elsewhere. */
    attachments: jsonb('attachments').$type<AttachmentRef[]>().notNull().default([]),
    /** When the personal data of the closed appeal was erased after the retention period (statistics stay). */
    anonymisedAt: instant('anonymised_at'),
  },
  (t) => [
    uniqueIndex('appeals_work_order_no_idx').on(t.workOrderNo),
    index('appeals_anonymise_idx')
      .on(t.closedAt)
      .where(sql`${t.anonymisedAt} is null`),
    index('appeals_stage_due_idx').on(t.stage, t.dueAt),
    index('appeals_lead_unit_idx').on(t.leadUnitId, t.stage),
    index('appeals_district_street_idx').on(t.districtId, t.streetId),
    // Migration 0009 also adds appeals_received_hot_idx: received_at INCLUDE (category, street,
    // address), so the hot spots of a month come from the index alone.
    index('appeals_received_idx').on(t.receivedAt),
    index('appeals_involved_units_idx').using('gin', t.involvedUnitIds),
    index('appeals_next_actor_idx').on(t.nextActor, t.dueAt),
    index('appeals_pending_actors_idx').using('gin', t.pendingActors),
    // A district government's list takes its district's appeals flagged a stability risk (Art. 11).
    index('appeals_stability_risk_district_idx')
      .on(t.districtId)
      .where(sql`${t.stabilityRisk}`),
    // Duplicate detection: same requester, same place, same category, recent first.
    index('appeals_duplicate_idx').on(t.requesterPhone, t.categoryCode, t.streetId, t.receivedAt),
  ],
);

/**
 * Append-only audit trail: who did what, when, with what reason. `stepKey` is the writer's
 * idempotency key (the workflow's step id), so a retried activity adds nothing; `seq` is
 * assigned in the same transaction under the appeal row's lock, so it is gap-free.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    appealId: text('appeal_id')
      .notNull()
      .references(() => appeals.id),
    seq: integer('seq').notNull(),
    stepKey: text('step_key').notNull(),
    type: text('type').notNull(),
    actor: text('actor').notNull(),
    reason: text('reason'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    at: instant('at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.appealId, t.seq] }),
    uniqueIndex('audit_events_step_key_idx').on(t.appealId, t.stepKey),
    index('audit_events_type_at_idx').on(t.type, t.at),
  ],
);

/** How a unit's request to exempt one of its assessments stands (Art. 25, 31 容错纠错). */
export type ExemptionStatus = 'requested' | 'granted' | 'refused';

/**
 * Art. 25: one assessment per unit that must be assessed in a closed case (the lead,
 * co-handlers, summoned departments), each with its own facts. What the callback established
 * (the requester's answers, counted only when `callbackValid`) is kept beside what the unit
 * claimed; a claim the callback denies is a matter for accountability (Art. 29(2)).
 */
export const assessments = pgTable(
  'assessments',
  {
    appealId: text('appeal_id')
      .notNull()
      .references(() => appeals.id),
    unitId: text('unit_id').notNull(),
    /** `lead`, `co_handler` or `department` (summoned by the whistle, Art. 18). */
    role: text('role').notNull(),
    /**
     * Summary of the unit's response as the case shows it: the lead recorded a first contact or
     * the requester says there was contact; a co-handler or department reported. Rows written
     * before the requester's answers were kept apart carry only this; rates use `contacted`.
     */
    responded: boolean('responded').notNull(),
    /** The requester was reached and answered all three questions (Art. 24): only then do the answers count. */
    callbackValid: boolean('callback_valid').notNull().default(false),
    /** The requester's answers on a valid callback (null otherwise): was the unit in contact, is it resolved. */
    contacted: boolean('contacted'),
    resolved: boolean('resolved'),
    satisfaction: text('satisfaction'),
    /** What the unit claimed: it recorded a first contact; it reported the outcome resolved. */
    claimedContacted: boolean('claimed_contacted').notNull().default(false),
    claimedResolved: boolean('claimed_resolved').notNull().default(false),
    /** The lead reported its result; a co-handler gave its final report; a department reported in. */
    reported: boolean('reported'),
    /** Exempt rows leave the denominator: a withdrawn or merged case, or an exemption the center granted. */
    exempt: boolean('exempt').notNull().default(false),
    exemptReason: text('exempt_reason'),
    /** The unit's exemption request and the center's decision (Art. 25, 31); each step is also audited. */
    exemptionStatus: text('exemption_status').$type<ExemptionStatus>(),
    exemptionRequestReason: text('exemption_request_reason'),
    exemptionRequestedAt: instant('exemption_requested_at'),
    exemptionDecisionReason: text('exemption_decision_reason'),
    exemptionDecidedAt: instant('exemption_decided_at'),
    closedAt: instant('closed_at').notNull(),
    /**
     * The Beijing month (`YYYY-MM`) the row counts in: the month of `closed_at`, unless that month
     * is already frozen (`frozen_months`), then the first month after it that is not, so a late
     * callback changes next month's ranking, never a published one. The database assigns it on
     * insert (trigger `assessments_assign_month`, migration 0008) whatever the writer sends; the
     * `default` here only lets writers leave it out.
     */
    assessmentMonth: text('assessment_month')
      .notNull()
      .$defaultFn(() => sql`default`),
  },
  (t) => [
    primaryKey({ columns: [t.appealId, t.unitId] }),
    index('assessments_unit_closed_idx').on(t.unitId, t.closedAt),
    // Migration 0009 makes it covering (INCLUDE the callback's facts): a month's counts per unit
    // come from the index alone. drizzle-kit cannot spell INCLUDE.
    index('assessments_month_unit_idx').on(t.assessmentMonth, t.unitId),
  ],
);

/** Art. 29: late acceptance, overdue handling without reason, objections rejected on review. */
export const accountabilityRecords = pgTable(
  'accountability_records',
  {
    appealId: text('appeal_id')
      .notNull()
      .references(() => appeals.id),
    stepKey: text('step_key').notNull(),
    unitId: text('unit_id').notNull(),
    kind: text('kind').$type<AccountabilityKind>().notNull(),
    detail: text('detail'),
    /** The audit event the record stems from, when the breach is also a step of the case. */
    auditStepKey: text('audit_step_key'),
    at: instant('at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.appealId, t.stepKey] }),
    index('accountability_unit_idx').on(t.unitId, t.kind, t.at),
    // One unit's records of a month, whatever their kind.
    index('accountability_unit_at_idx').on(t.unitId, t.at),
  ],
);

export type Appeal = typeof appeals.$inferSelect;
export type NewAppeal = typeof appeals.$inferInsert;
export type AuditEvent = typeof auditEvents.$inferSelect;
export type NewAuditEvent = typeof auditEvents.$inferInsert;
export type Assessment = typeof assessments.$inferSelect;
export type NewAssessment = typeof assessments.$inferInsert;
export type AccountabilityRecord = typeof accountabilityRecords.$inferSelect;
export type NewAccountabilityRecord = typeof accountabilityRecords.$inferInsert;
