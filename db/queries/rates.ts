/**
 * Monthly assessment rates and rankings (Art. 25), computed live in SQL from the assessment rows.
 *
 * A row counts in the Beijing month of its `closed_at` (Asia/Shanghai). Over the rows that are
 * not exempt and whose callback is valid (the requester was reached and answered):
 * response = contacted ÷ valid; resolution = resolved ÷ valid; satisfaction = (satisfied +
 * 0.9 × basically satisfied) ÷ valid; composite = the weights of the version in force on the
 * month's first day applied to the three rates. Rates are rounded to 4 decimals; the composite
 * is computed from the counts (one division) and then rounded, and ranks compare the rounded
 * composite, so units showing the same composite share a rank. A unit with no valid callback
 * has null rates and no rank (not zero).
 */
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { assessments, type Assessment } from '../schema/cases.js';
import { assessmentWeights } from '../schema/assessmentWeights.js';
import { streets, units } from '../schema/reference.js';
import type { HandlingUnitKind, UnitKind } from '../../domain/appeal.js';

/** `YYYY-MM`. */
export const MONTH_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])$';
const MONTH = new RegExp(MONTH_PATTERN);

export const RANKING_LEVELS = ['street', 'department', 'enterprise'] as const;
export type RankingLevel = (typeof RANKING_LEVELS)[number];

/**
 * Who is ranked together. Streets and townships form one level. Departments: city and district
 * departments, sector authorities and the district governments (each handles the appeals
 * dispatched to it as a unit, e.g. as the fallback owner 兜底). Enterprises: the public service
 * enterprises. The hotline center and the central/military liaison are not ranked.
 */
export const LEVEL_UNIT_KINDS = {
  street: [],
  department: ['city_department', 'district_department', 'sector_authority', 'district_government'],
  enterprise: ['public_service_enterprise'],
} as const satisfies Record<RankingLevel, readonly UnitKind[]>;

export function levelOf(kind: HandlingUnitKind): RankingLevel | null {
  if (kind === 'street' || kind === 'township') return 'street';
  for (const level of RANKING_LEVELS) if ((LEVEL_UNIT_KINDS[level] as readonly string[]).includes(kind)) return level;
  return null;
}

export interface Weights {
  version: number;
  response: number;
  resolution: number;
  satisfaction: number;
}

export interface Rates {
  /** All rows of the month, exempt and invalid callbacks included. */
  rows: number;
  exempt: number;
  /** Rows not exempt whose callback is not valid: left out. */
  invalidCallbacks: number;
  /** Rows not exempt with a valid callback: the denominator. */
  valid: number;
  contacted: number;
  resolved: number;
  satisfied: number;
  basicallySatisfied: number;
  /** null when `valid` is 0. */
  response: number | null;
  resolution: number | null;
  satisfaction: number | null;
  /** null when `valid` is 0 or no weights version is in force on the month's first day. */
  composite: number | null;
}

export interface UnitMonth {
  unitId: string;
  month: string;
  /** The version in force on the month's first day; null when none is. */
  weights: Weights | null;
  rates: Rates;
  /** The unit's rows of the month, by close time then appeal id. */
  items: Assessment[];
}

export interface RankingRow extends Rates {
  unitId: string;
  name: string;
  kind: HandlingUnitKind;
  /** RANK() over the composite, highest first; null without valid callbacks. */
  rank: number | null;
  previousRank: number | null;
  /** previousRank − rank (positive: moved up); null unless ranked in both months. */
  rankChange: number | null;
}

export interface Ranking {
  month: string;
  level: RankingLevel;
  weights: Weights | null;
  items: RankingRow[];
}

export class MonthError extends Error {
  override name = 'MonthError';
}

function checkMonth(month: string): void {
  if (!MONTH.test(month)) throw new MonthError(`month must be YYYY-MM, got '${month}'`);
}

/** The month's first day (a date) and its instants in Beijing; `offset` months before it. */
const monthBounds = (month: string, offset = 0) => {
  const first = sql`(to_date(${month}, 'YYYY-MM') - make_interval(months => ${offset}::int))::date`;
  return {
    first,
    starts: sql`(${first}::timestamp at time zone 'Asia/Shanghai')`,
    ends: sql`((${first} + interval '1 month')::timestamp at time zone 'Asia/Shanghai')`,
  };
};

/** The weights version in force on a date, as a lateral subquery's body. */
const weightsOn = (day: SQL) => sql`
  select version, response_weight, resolution_weight, satisfaction_weight
  from ${assessmentWeights}
  where valid_from <= ${day} and (valid_to is null or valid_to > ${day})
  order by version desc limit 1`;

/** Counts over an `assessments a` alias left-joined (so `a.appeal_id` is null for no row). */
const COUNTS = sql.raw(`
  count(a.appeal_id)::int as rows,
  count(a.appeal_id) filter (where a.exempt)::int as exempt,
  count(a.appeal_id) filter (where not a.exempt and not a.callback_valid)::int as invalid_callbacks,
  count(a.appeal_id) filter (where not a.exempt and a.callback_valid)::int as valid,
  count(a.appeal_id) filter (where not a.exempt and a.callback_valid and a.contacted)::int as contacted,
  count(a.appeal_id) filter (where not a.exempt and a.callback_valid and a.resolved)::int as resolved,
  count(a.appeal_id) filter (where not a.exempt and a.callback_valid and a.satisfaction = 'satisfied')::int as satisfied,
  count(a.appeal_id) filter (where not a.exempt and a.callback_valid and a.satisfaction = 'basically_satisfied')::int as basically_satisfied`);

/** The rates over `c` (counts) and `w` (weights, may be null). */
const RATES = sql.raw(`
  case when c.valid > 0 then round(c.contacted::numeric / c.valid, 4) end as response,
  case when c.valid > 0 then round(c.resolved::numeric / c.valid, 4) end as resolution,
  case when c.valid > 0 then round((c.satisfied + 0.9 * c.basically_satisfied) / c.valid, 4) end as satisfaction,
  case when c.valid > 0 and w.version is not null then round(
    (w.response_weight * c.contacted + w.resolution_weight * c.resolved
      + w.satisfaction_weight * (c.satisfied + 0.9 * c.basically_satisfied)) / c.valid, 4) end as composite`);

interface RatesRow {
  rows: number;
  exempt: number;
  invalid_callbacks: number;
  valid: number;
  contacted: number;
  resolved: number;
  satisfied: number;
  basically_satisfied: number;
  response: string | null;
  resolution: string | null;
  satisfaction: string | null;
  composite: string | null;
  [key: string]: unknown;
}

interface WeightsRow {
  version: number | null;
  response_weight: string | null;
  resolution_weight: string | null;
  satisfaction_weight: string | null;
  [key: string]: unknown;
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

function ratesOf(r: RatesRow): Rates {
  return {
    rows: r.rows,
    exempt: r.exempt,
    invalidCallbacks: r.invalid_callbacks,
    valid: r.valid,
    contacted: r.contacted,
    resolved: r.resolved,
    satisfied: r.satisfied,
    basicallySatisfied: r.basically_satisfied,
    response: num(r.response),
    resolution: num(r.resolution),
    satisfaction: num(r.satisfaction),
    composite: num(r.composite),
  };
}

function weightsOf(w: WeightsRow): Weights | null {
  return w.version === null
    ? null
    : {
        version: w.version,
        response: Number(w.response_weight),
        resolution: Number(w.resolution_weight),
        satisfaction: Number(w.satisfaction_weight),
      };
}

/** A handling unit (a street or township, or a unit of the directory) by id. */
export async function findRatedUnit(
  db: DbOrTx,
  unitId: string,
): Promise<{ id: string; name: string; kind: HandlingUnitKind } | undefined> {
  const { rows } = await db.execute<{ id: string; name: string; kind: HandlingUnitKind }>(sql`
    select id, name, kind from ${streets} where id = ${unitId}
    union all
    select id, name, kind from ${units} where id = ${unitId}`);
  return rows[0];
}

/** One unit's rates of one month, the weights version used and the month's rows. */
export async function unitMonthRates(db: DbOrTx, unitId: string, month: string): Promise<UnitMonth> {
  checkMonth(month);
  const b = monthBounds(month);
  const { rows } = await db.execute<RatesRow & WeightsRow>(sql`
    with c as (
      select ${COUNTS}
      from ${assessments} a
      where a.unit_id = ${unitId} and a.closed_at >= ${b.starts} and a.closed_at < ${b.ends}
    )
    select c.*, w.version, w.response_weight, w.resolution_weight, w.satisfaction_weight, ${RATES}
    from c left join lateral (${weightsOn(b.first)}) w on true`);
  const row = rows[0]!;
  const items = await db
    .select()
    .from(assessments)
    .where(
      and(
        eq(assessments.unitId, unitId),
        sql`${assessments.closedAt} >= ${b.starts}`,
        sql`${assessments.closedAt} < ${b.ends}`,
      ),
    )
    .orderBy(asc(assessments.closedAt), asc(assessments.appealId));
  return { unitId, month, weights: weightsOf(row), rates: ratesOf(row), items };
}

/**
 * The month's ranking of one level: every unit of the level, ranked by RANK() over the composite
 * (highest first; equal composites share a rank, the next rank skips), listed by rank then unit id;
 * units without a valid callback follow, unranked, by unit id. Each row carries its rank of the
 * previous month and the change.
 */
export async function monthRanking(db: DbOrTx, month: string, level: RankingLevel): Promise<Ranking> {
  checkMonth(month);
  const current = monthBounds(month);
  const previous = monthBounds(month, 1);
  const kinds = LEVEL_UNIT_KINDS[level] as readonly string[];
  const members =
    level === 'street'
      ? sql`select id, name, kind from ${streets}`
      : sql`select id, name, kind from ${units} where kind in (${sql.join(
          kinds.map((k) => sql`${k}`),
          sql`, `,
        )})`;
  const { rows } = await db.execute<
    RatesRow &
      WeightsRow & {
        unit_id: string;
        name: string;
        kind: HandlingUnitKind;
        rank: number | null;
        previous_rank: number | null;
      }
  >(sql`
    with months as (
      select 0 as idx, ${current.first} as first_day, ${current.starts} as starts, ${current.ends} as ends
      union all
      select 1, ${previous.first}, ${previous.starts}, ${previous.ends}
    ),
    members as (${members}),
    counted as (
      select mo.idx, m.id as unit_id, ${COUNTS}
      from months mo
      cross join members m
      left join ${assessments} a on a.unit_id = m.id and a.closed_at >= mo.starts and a.closed_at < mo.ends
      group by mo.idx, m.id
    ),
    scored as (
      select c.idx, c.unit_id, c.rows, c.exempt, c.invalid_callbacks, c.valid, c.contacted, c.resolved,
        c.satisfied, c.basically_satisfied, w.version, w.response_weight, w.resolution_weight,
        w.satisfaction_weight, ${RATES}
      from counted c
      join months mo on mo.idx = c.idx
      left join lateral (${weightsOn(sql`mo.first_day`)}) w on true
    ),
    ranked as (
      select s.*,
        case when s.composite is not null
          then rank() over (partition by s.idx, (s.composite is null) order by s.composite desc)::int end as rank
      from scored s
    )
    select cur.*, m.name, m.kind, prev.rank as previous_rank
    from ranked cur
    join members m on m.id = cur.unit_id
    left join ranked prev on prev.idx = 1 and prev.unit_id = cur.unit_id
    where cur.idx = 0
    order by cur.rank asc nulls last, cur.unit_id asc`);
  let weights: Weights | null = null;
  if (rows[0]) weights = weightsOf(rows[0]);
  else {
    const { rows: w } = await db.execute<WeightsRow>(
      sql`select * from (select 1) one left join lateral (${weightsOn(current.first)}) w on true`,
    );
    weights = weightsOf(w[0]!);
  }
  return {
    month,
    level,
    weights,
    items: rows.map((r) => ({
      unitId: r.unit_id,
      name: r.name,
      kind: r.kind,
      ...ratesOf(r),
      rank: r.rank,
      previousRank: r.previous_rank,
      rankChange: r.rank !== null && r.previous_rank !== null ? r.previous_rank - r.rank : null,
    })),
  };
}
