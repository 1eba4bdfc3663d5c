import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import type {
  AppealType,
  CoHandlerWhenShort,
  DispatchCatalogueRecord,
  PolicyWindows,
  StreetRecord,
  UnitKind,
  UtilityService,
} from '../seed/data/types.js';

/*
 * Reference data: what the workflow's activities look up (who handles what, which deadline
 * applies). Loaded from the reviewable files in db/seed/data by `npm run db:seed`, never
 * written by the workflow.
 */

/** Beijing's 16 districts. */
export const districts = pgTable('districts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  nameEn: text('name_en').notNull(),
});

/**
 * The streets (街道) and townships (乡镇) of Beijing. Each one is also a handling unit: its
 * id is its unit id (no row in `units`; the seed refuses a unit id that is a street id).
 */
export const streets = pgTable(
  'streets',
  {
    id: text('id').primaryKey(),
    districtId: text('district_id')
      .notNull()
      .references(() => districts.id),
    name: text('name').notNull(),
    kind: text('kind').$type<StreetRecord['kind']>().notNull(),
  },
  (t) => [
    index('streets_district_idx').on(t.districtId),
    check('streets_kind_check', sql`${t.kind} in ('street', 'township')`),
  ],
);

/** Handling units other than streets and townships: governments, departments, enterprises. */
export const units = pgTable(
  'units',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    kind: text('kind').$type<UnitKind>().notNull(),
    districtId: text('district_id').references(() => districts.id),
    service: text('service').$type<UtilityService>(),
    /** For a sector authority (行业主管部门): the category code prefixes it covers. */
    sectors: text('sectors')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
  },
  (t) => [
    index('units_kind_district_idx').on(t.kind, t.districtId),
    // The district government is the fallback owner (兜底): exactly one per district.
    uniqueIndex('units_district_government_idx')
      .on(t.districtId)
      .where(sql`${t.kind} = 'district_government'`),
    index('units_sectors_idx').using('gin', t.sectors),
  ],
);

/** The appeal category tree; dispatch catalogue entries are on leaves. */
export const categories = pgTable(
  'categories',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    parent: text('parent').references((): AnyPgColumn => categories.code),
    utility: text('utility').$type<UtilityService>(),
    fallbackNote: text('fallback_note'),
  },
  (t) => [index('categories_parent_idx').on(t.parent)],
);

/**
 * The dispatch catalogue (派单目录, Art. 12, 14): category × area → unit or unit kind, with
 * the deadline policy. One entry per (category, scope, district, street); the most specific
 * matching entry wins (street over district over city).
 */
export const dispatchCatalogue = pgTable(
  'dispatch_catalogue',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    categoryCode: text('category_code')
      .notNull()
      .references(() => categories.code),
    scope: text('scope').$type<DispatchCatalogueRecord['scope']>().notNull(),
    districtId: text('district_id').references(() => districts.id),
    streetId: text('street_id').references(() => streets.id),
    unitId: text('unit_id').references(() => units.id),
    unitKind: text('unit_kind').$type<NonNullable<DispatchCatalogueRecord['unitKind']>>(),
    /** A policy code; the version is chosen by date when an order is dispatched. */
    policyCode: text('policy_code').notNull(),
  },
  (t) => [
    // Serves the lookup (category, then the three scopes) and the seed's upsert.
    unique('dispatch_catalogue_entry_key').on(t.categoryCode, t.scope, t.districtId, t.streetId).nullsNotDistinct(),
    check('dispatch_catalogue_target_check', sql`(${t.unitId} is null) <> (${t.unitKind} is null)`),
    check('dispatch_catalogue_unit_kind_check', sql`${t.unitKind} in ('street_of_location', 'district_government')`),
    check(
      'dispatch_catalogue_scope_check',
      sql`(${t.scope} = 'city' and ${t.districtId} is null and ${t.streetId} is null)
        or (${t.scope} = 'district' and ${t.districtId} is not null and ${t.streetId} is null)
        or (${t.scope} = 'street' and ${t.districtId} is not null and ${t.streetId} is not null)`,
    ),
    index('dispatch_catalogue_policy_idx').on(t.policyCode),
  ],
);

/**
 * Deadline policies, versioned. The version in force on a (Beijing) date is the one with
 * valid_from <= date < valid_to. An order keeps the (code, version) it was dispatched with,
 * so a version in force is never edited: a change is a new version.
 */
export const deadlinePolicies = pgTable(
  'deadline_policies',
  {
    code: text('code').notNull(),
    version: integer('version').notNull(),
    validFrom: date('valid_from', { mode: 'string' }).notNull(),
    validTo: date('valid_to', { mode: 'string' }),
    /** null: every appeal type. */
    appealTypes: text('appeal_types').array().$type<AppealType[]>(),
    description: text('description').notNull(),
    windows: jsonb('windows').$type<PolicyWindows>().notNull(),
    acceptanceReminderLimit: integer('acceptance_reminder_limit').notNull(),
    callbackMaxAttempts: integer('callback_max_attempts').notNull(),
    escalationLevels: integer('escalation_levels').notNull(),
    callbackOnResult: boolean('callback_on_result').notNull(),
    // The rules below came after the first versions: the defaults are what those versions
    // meant, so rows stored before them stay valid until the seed fills in their own values.
    /** Yellow-light warnings as fractions of the handling time. */
    warningFractions: doublePrecision('warning_fractions')
      .array()
      .notNull()
      .default(sql`'{0.5,0.75}'::double precision[]`),
    rehandlingCap: integer('rehandling_cap').notNull().default(2),
    coHandlerMarginHours: doublePrecision('co_handler_margin_hours').notNull().default(1),
    coHandlerWhenShort: text('co_handler_when_short').$type<CoHandlerWhenShort>().notNull().default('main_deadline'),
    /** Reminders per escalation tier; [0] is the acceptance reminder limit. */
    reminderLimits: integer('reminder_limits')
      .array()
      .notNull()
      .default(sql`'{2,1,1}'::integer[]`),
    duplicateWindowDays: integer('duplicate_window_days').notNull().default(30),
    /** The last escalation tier; no foreign key, the seed checks it (units are seeded in the same run). */
    cityEscalationUnitId: text('city_escalation_unit_id').notNull().default('city-joint-office'),
  },
  (t) => [
    primaryKey({ columns: [t.code, t.version] }),
    index('deadline_policies_validity_idx').on(t.code, t.validFrom),
    index('deadline_policies_appeal_types_idx').using('gin', t.appealTypes),
    check('deadline_policies_version_check', sql`${t.version} > 0`),
    check('deadline_policies_validity_check', sql`${t.validTo} is null or ${t.validTo} > ${t.validFrom}`),
    check(
      'deadline_policies_limits_check',
      sql`${t.acceptanceReminderLimit} >= 0 and ${t.callbackMaxAttempts} >= 1 and ${t.escalationLevels} >= 1`,
    ),
    check(
      'deadline_policies_warning_fractions_check',
      sql`0 < all(${t.warningFractions}) and 1 > all(${t.warningFractions})`,
    ),
    check(
      'deadline_policies_rules_check',
      sql`${t.rehandlingCap} >= 0 and ${t.coHandlerMarginHours} >= 0 and ${t.duplicateWindowDays} >= 1
        and cardinality(${t.reminderLimits}) >= 1 and 0 <= all(${t.reminderLimits})`,
    ),
    check(
      'deadline_policies_co_handler_when_short_check',
      sql`${t.coHandlerWhenShort} in ('main_deadline', 'co_handler_window')`,
    ),
  ],
);

export type District = typeof districts.$inferSelect;
export type NewDistrict = typeof districts.$inferInsert;
export type Street = typeof streets.$inferSelect;
export type NewStreet = typeof streets.$inferInsert;
export type Unit = typeof units.$inferSelect;
export type NewUnit = typeof units.$inferInsert;
export type Category = typeof categories.$inferSelect;
export type NewCategory = typeof categories.$inferInsert;
export type DispatchCatalogueEntry = typeof dispatchCatalogue.$inferSelect;
export type NewDispatchCatalogueEntry = typeof dispatchCatalogue.$inferInsert;
export type DeadlinePolicy = typeof deadlinePolicies.$inferSelect;
export type NewDeadlinePolicy = typeof deadlinePolicies.$inferInsert;
