/**
 * What supervisors read besides the rankings (Art. 14, 29): a unit's accountability records of a
 * month with the audit event each stems from, and the center's dispatch accuracy (派单精准度) per
 * category and per dispatch catalogue rule, computed from the audit trail.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { accountabilityRecords, appeals, auditEvents } from '../schema/cases.js';
import { categories, dispatchCatalogue } from '../schema/reference.js';
import { ACCOUNTABILITY_KINDS, type AccountabilityKind } from '../../domain/appeal.js';
import { MONTH_PATTERN } from './rates.js';

const MONTH = new RegExp(MONTH_PATTERN);

export class SupervisionMonthError extends Error {
  override name = 'SupervisionMonthError';
}

export function checkMonth(month: string): void {
  if (!MONTH.test(month)) throw new SupervisionMonthError(`month must be YYYY-MM, got '${month}'`);
}

/** A Beijing month (Asia/Shanghai) as instants, `offset` months before `month`: [starts, ends). */
export function beijingMonth(month: string, offset = 0): { starts: SQL; ends: SQL } {
  const first = sql`(to_date(${month}, 'YYYY-MM') - make_interval(months => ${offset}::int))::date`;
  return {
    starts: sql`(${first}::timestamp at time zone 'Asia/Shanghai')`,
    ends: sql`((${first} + interval '1 month')::timestamp at time zone 'Asia/Shanghai')`,
  };
}

// ---------------------------------------------------------------------------------------------
// Accountability (Art. 29)

export interface AccountabilityItem {
  appealId: string;
  stepKey: string;
  kind: AccountabilityKind;
  detail: string | null;
  at: Date;
  /** The audit event the record stems from (by `audit_step_key`); null when the breach is no step of the case. */
  auditEvent: { seq: number; stepKey: string; type: string; actor: string; reason: string | null; at: Date } | null;
}

export interface UnitAccountability {
  items: AccountabilityItem[];
  /** Records by kind, every kind listed (0 when none). */
  byKind: Record<AccountabilityKind, number>;
  total: number;
}

/**
 * A unit's accountability records whose `at` lies in the Beijing month, oldest first, each with
 * its audit event. Served by `accountability_unit_idx` (unit_id, kind, at): the unit is its prefix.
 */
export async function unitMonthAccountability(db: DbOrTx, unitId: string, month: string): Promise<UnitAccountability> {
  checkMonth(month);
  const b = beijingMonth(month);
  const { rows } = await db.execute<{
    appeal_id: string;
    step_key: string;
    kind: AccountabilityKind;
    detail: string | null;
    at: string;
    audit_step_key: string | null;
    event_seq: number | null;
    event_type: string | null;
    event_actor: string | null;
    event_reason: string | null;
    event_at: string | null;
  }>(sql`
    select r.appeal_id, r.step_key, r.kind, r.detail, r.at, r.audit_step_key,
      e.seq as event_seq, e.type as event_type, e.actor as event_actor, e.reason as event_reason, e.at as event_at
    from ${accountabilityRecords} r
    left join ${auditEvents} e on e.appeal_id = r.appeal_id and e.step_key = r.audit_step_key
    where r.unit_id = ${unitId} and r.at >= ${b.starts} and r.at < ${b.ends}
    order by r.at asc, r.appeal_id asc, r.step_key asc`);
  const byKind = Object.fromEntries(ACCOUNTABILITY_KINDS.map((k) => [k, 0])) as Record<AccountabilityKind, number>;
  const items = rows.map((r): AccountabilityItem => {
    byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
    return {
      appealId: r.appeal_id,
      stepKey: r.step_key,
      kind: r.kind,
      detail: r.detail,
      at: new Date(r.at),
      auditEvent:
        r.event_seq !== null && r.audit_step_key !== null
          ? {
              seq: r.event_seq,
              stepKey: r.audit_step_key,
              type: r.event_type!,
              actor: r.event_actor!,
              reason: r.event_reason,
              at: new Date(r.event_at!),
            }
          : null,
    };
  });
  return { items, byKind, total: items.length };
}

// ---------------------------------------------------------------------------------------------
// Dispatch accuracy (派单精准度, Art. 14)

/**
 * The audit event types the workflow writes for a dispatch and its review (workflows/appeal/
 * triage.ts `sendOrder`, acceptance.ts `reviewObjection`; the legacy process writes the same).
 */
export const DISPATCH_EVENTS = {
  /** The order is sent to a unit: the first one of a case is its dispatch, every later one a re-dispatch. */
  dispatched: 'dispatched',
  /** The unit disputes its jurisdiction (派单异议). */
  objection: 'dispatch_objection',
  /** The center grants the objection; a `dispatched` to the new unit follows. */
  granted: 'objection_granted',
  /** The center upholds the dispatch (the unit's objection is rejected). */
  upheld: 'objection_upheld',
} as const;

export interface DispatchCounts {
  /** Cases whose first dispatch lies in the month. */
  dispatches: number;
  objectionsRaised: number;
  objectionsGranted: number;
  objectionsUpheld: number;
  /** `dispatched` events after the first of each case. */
  redispatches: number;
  /** Cases whose first unit did not keep the order: an objection granted or a re-dispatch. */
  misdispatched: number;
  /** 1 − misdispatched ÷ dispatches, 4 decimals; null without dispatches. */
  accuracy: number | null;
}

export interface CatalogueRule {
  id: number;
  scope: string;
  districtId: string | null;
  streetId: string | null;
  unitId: string | null;
  unitKind: string | null;
}

export interface DispatchAccuracy {
  month: string;
  total: DispatchCounts;
  categories: (DispatchCounts & { categoryCode: string; categoryName: string | null })[];
  /** One row per catalogue rule; `rule: null` gathers a category's dispatches no entry matched (fallbacks). */
  rules: (DispatchCounts & { categoryCode: string; categoryName: string | null; rule: CatalogueRule | null })[];
}

const SCOPE_ORDER = sql.raw(`case c.scope when 'street' then 0 when 'district' then 1 else 2 end`);

/**
 * The month's dispatch accuracy, from the audit trail. A case counts in the Beijing month of its
 * first `dispatched` event; everything that happened to its dispatch since (objections, decisions,
 * re-dispatches, also in later months) counts with it, so a month's figures settle once its
 * objections are decided. A case is misdispatched when an objection of it was granted or it was
 * re-dispatched: every granted objection re-dispatches, so the two are one misdispatch, counted
 * once per case (adding them would count it twice). Accuracy = 1 − misdispatched ÷ dispatches.
 *
 * The rule of a case is the catalogue entry that matches its category and place now, the most
 * specific first (street, district, city), as the dispatch looked it up (`lookupDispatch`);
 * `rule: null` when none matches (the district government's fallback or the manual queue). A case
 * the center sent elsewhere than the rule says still counts under the rule: it is the rule's
 * accuracy in practice.
 */
export async function dispatchAccuracy(db: DbOrTx, month: string): Promise<DispatchAccuracy> {
  checkMonth(month);
  const b = beijingMonth(month);
  const e = DISPATCH_EVENTS;
  const { rows } = await db.execute<{
    category_code: string | null;
    category_name: string | null;
    rule_id: number | null;
    rule_scope: string | null;
    rule_district_id: string | null;
    rule_street_id: string | null;
    rule_unit_id: string | null;
    rule_unit_kind: string | null;
    by_category: number;
    by_rule: number;
    dispatches: number;
    objections_raised: number;
    objections_granted: number;
    objections_upheld: number;
    redispatches: number;
    misdispatched: number;
    accuracy: string | null;
  }>(sql`
    with first_dispatch as (
      select d.appeal_id
      from ${auditEvents} d
      where d.type = ${e.dispatched} and d.at >= ${b.starts} and d.at < ${b.ends}
        and not exists (
          select 1 from ${auditEvents} p
          where p.appeal_id = d.appeal_id and p.type = ${e.dispatched} and p.seq < d.seq)
    ),
    per_case as (
      select f.appeal_id, a.category_code, a.district_id, a.street_id,
        count(*) filter (where x.type = ${e.objection})::int as objections,
        count(*) filter (where x.type = ${e.granted})::int as granted,
        count(*) filter (where x.type = ${e.upheld})::int as upheld,
        (count(*) filter (where x.type = ${e.dispatched}) - 1)::int as redispatches
      from first_dispatch f
      join ${appeals} a on a.id = f.appeal_id
      join ${auditEvents} x on x.appeal_id = f.appeal_id
        and x.type in (${e.dispatched}, ${e.objection}, ${e.granted}, ${e.upheld})
      group by f.appeal_id, a.category_code, a.district_id, a.street_id
    ),
    ruled as (
      select p.*, r.id as rule_id, r.scope as rule_scope, r.district_id as rule_district_id,
        r.street_id as rule_street_id, r.unit_id as rule_unit_id, r.unit_kind as rule_unit_kind
      from per_case p
      left join lateral (
        select c.* from ${dispatchCatalogue} c
        where c.category_code = p.category_code
          and (c.scope = 'city'
            or (c.scope = 'district' and c.district_id = p.district_id)
            or (c.scope = 'street' and c.street_id = p.street_id))
        order by ${SCOPE_ORDER}
        limit 1
      ) r on true
    ),
    grouped as (
      select category_code, rule_id, rule_scope, rule_district_id, rule_street_id, rule_unit_id, rule_unit_kind,
        (grouping(category_code) = 0)::int as by_category,
        (grouping(rule_id) = 0)::int as by_rule,
        count(*)::int as dispatches,
        coalesce(sum(objections), 0)::int as objections_raised,
        coalesce(sum(granted), 0)::int as objections_granted,
        coalesce(sum(upheld), 0)::int as objections_upheld,
        coalesce(sum(redispatches), 0)::int as redispatches,
        count(*) filter (where granted > 0 or redispatches > 0)::int as misdispatched
      from ruled
      group by grouping sets (
        (),
        (category_code),
        (category_code, rule_id, rule_scope, rule_district_id, rule_street_id, rule_unit_id, rule_unit_kind))
    )
    select g.*, cat.name as category_name,
      case when g.dispatches > 0 then round(1 - g.misdispatched::numeric / g.dispatches, 4) end as accuracy
    from grouped g
    left join ${categories} cat on cat.code = g.category_code
    order by g.by_category, g.by_rule, g.dispatches desc, g.category_code, g.rule_id nulls last`);

  const counts = (r: (typeof rows)[number]): DispatchCounts => ({
    dispatches: r.dispatches,
    objectionsRaised: r.objections_raised,
    objectionsGranted: r.objections_granted,
    objectionsUpheld: r.objections_upheld,
    redispatches: r.redispatches,
    misdispatched: r.misdispatched,
    accuracy: r.accuracy === null ? null : Number(r.accuracy),
  });
  // An empty month has no rows at all (no grand total either): zeros.
  const totalRow = rows.find((r) => r.by_category === 0);
  const total: DispatchCounts = totalRow
    ? counts(totalRow)
    : {
        dispatches: 0,
        objectionsRaised: 0,
        objectionsGranted: 0,
        objectionsUpheld: 0,
        redispatches: 0,
        misdispatched: 0,
        accuracy: null,
      };
  return {
    month,
    total,
    categories: rows
      .filter((r) => r.by_category === 1 && r.by_rule === 0)
      .map((r) => ({ categoryCode: r.category_code!, categoryName: r.category_name, ...counts(r) })),
    rules: rows
      .filter((r) => r.by_rule === 1)
      .map((r) => ({
        categoryCode: r.category_code!,
        categoryName: r.category_name,
        rule:
          r.rule_id === null
            ? null
            : {
                id: r.rule_id,
                scope: r.rule_scope!,
                districtId: r.rule_district_id,
                streetId: r.rule_street_id,
                unitId: r.rule_unit_id,
                unitKind: r.rule_unit_kind,
              },
        ...counts(r),
      })),
  };
}
