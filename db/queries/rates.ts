/**
 * Monthly assessment rates and rankings (Art. 25), computed in SQL from the assessment rows, and
 * frozen once a month is over.
 *
 * A row counts in its `assessment_month`, which the database assigns on insert: the Beijing month
 * (Asia/Shanghai) of its `closed_at`, unless that month is already frozen, then the first month
 * after it that is not (migration 0008). Freezing (`freezeMonth`, run by `monthlyAssessmentWorkflow`
 * on the 1st of each month) stores every level's ranking as it stands then; from then on
 * `monthRanking` answers the stored rows (`frozenAt` says when), so a late callback or a later
 * exemption changes next month's figures, never a published ranking. Over the rows that are
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
import { assessmentCounts, frozenMonths, frozenRankings } from '../schema/frozenMonths.js';
import { streets, units } from '../schema/reference.js';
import type { HandlingUnitKind, UnitKind } from '../../domain/appeal.js';
import { addMonths, isMonth, monthEnd, MONTH_PATTERN, type FreezeOutcome } from '../../domain/months.js';

export { MONTH_PATTERN, type FreezeOutcome };

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
  /** As published when the month is frozen and the unit ranked in it; live otherwise. */
  rates: Rates;
  /** The unit's rows counted in the month (`assessment_month`), by close time then appeal id. */
  items: Assessment[];
  /** When the month was frozen (ISO), null while it is live. */
  frozenAt: string | null;
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
  /** When the month was frozen (ISO): the items are the published ranking. null: computed live. */
  frozenAt: string | null;
}

export class MonthError extends Error {
  override name = 'MonthError';
}

function checkMonth(month: string): void {
  if (!isMonth(month)) throw new MonthError(`month must be YYYY-MM, got '${month}'`);
}

/** The month's first day, a date. */
const firstDay = (month: string) => sql`to_date(${month}, 'YYYY-MM')`;

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

/** The COUNTS columns of an aggregate `g` left-joined (zero where it has no row). */
const ZERO_IF_NONE = sql.raw(
  ['rows', 'exempt', 'invalid_callbacks', 'valid', 'contacted', 'resolved', 'satisfied', 'basically_satisfied']
    .map((column) => `coalesce(g.${column}, 0) as ${column}`)
    .join(', '),
);

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
  const frozen = await frozenMonth(db, month);
  const { rows } = await db.execute<RatesRow & WeightsRow>(sql`
    with c as (
      select ${COUNTS}
      from ${assessments} a
      where a.unit_id = ${unitId} and a.assessment_month = ${month}
    )
    select c.*, w.version, w.response_weight, w.resolution_weight, w.satisfaction_weight, ${RATES}
    from c left join lateral (${weightsOn(firstDay(month))}) w on true`);
  let row = rows[0]!;
  if (frozen) {
    // The figures published for the unit (one level per unit); an exemption granted since does not change them.
    const { rows: published } = await db.execute<RatesRow & WeightsRow>(sql`
      select ${FROZEN_COLUMNS} from ${frozenRankings} f
      left join ${assessmentWeights} w on w.version = f.weights_version
      where f.month = ${month} and f.unit_id = ${unitId} limit 1`);
    row = published[0] ?? row;
  }
  const items = await db
    .select()
    .from(assessments)
    .where(and(eq(assessments.unitId, unitId), eq(assessments.assessmentMonth, month)))
    .orderBy(asc(assessments.closedAt), asc(assessments.appealId));
  return {
    unitId,
    month,
    weights: weightsOf(row),
    rates: ratesOf(row),
    items,
    frozenAt: frozen?.frozenAt.toISOString() ?? null,
  };
}

/** A frozen month's record, if the month is frozen. */
export async function frozenMonth(
  db: DbOrTx,
  month: string,
): Promise<{ frozenAt: Date; workflowId: string; runId: string } | undefined> {
  const [row] = await db
    .select({ frozenAt: frozenMonths.frozenAt, workflowId: frozenMonths.workflowId, runId: frozenMonths.runId })
    .from(frozenMonths)
    .where(eq(frozenMonths.month, month));
  return row;
}

/** A frozen ranking row `f` joined with its weights `w`, shaped like a live one. */
const FROZEN_COLUMNS = sql.raw(`
  f.unit_id, f.name, f.kind, f.rows, f.exempt, f.invalid_callbacks, f.valid, f.contacted, f.resolved,
  f.satisfied, f.basically_satisfied, f.response, f.resolution, f.satisfaction, f.composite,
  f.rank, f.previous_rank, f.rank_change,
  w.version, w.response_weight, w.resolution_weight, w.satisfaction_weight`);

type RankedRow = RatesRow &
  WeightsRow & {
    unit_id: string;
    name: string;
    kind: HandlingUnitKind;
    rank: number | null;
    previous_rank: number | null;
  };

/**
 * The month's ranking of one level: every unit of the level, ranked by RANK() over the composite
 * (highest first; equal composites share a rank, the next rank skips), listed by rank then unit id;
 * units without a valid callback follow, unranked, by unit id. Each row carries its rank of the
 * previous month (as published when that month is frozen) and the change. A frozen month answers
 * its published ranking, `frozenAt` set; any other month is computed live (`frozenAt: null`).
 */
export async function monthRanking(db: DbOrTx, month: string, level: RankingLevel): Promise<Ranking> {
  checkMonth(month);
  const frozen = await frozenMonth(db, month);
  if (!frozen) return liveRanking(db, month, level);
  const { rows } = await db.execute<RankedRow & { rank_change: number | null }>(sql`
    select ${FROZEN_COLUMNS} from ${frozenRankings} f
    left join ${assessmentWeights} w on w.version = f.weights_version
    where f.month = ${month} and f.level = ${level}
    order by f.rank asc nulls last, f.unit_id asc`);
  return {
    month,
    level,
    weights: rows[0] ? weightsOf(rows[0]) : await weightsOfMonth(db, month),
    items: rows.map((r) => ({ ...rowOf(r), rankChange: r.rank_change })),
    frozenAt: frozen.frozenAt.toISOString(),
  };
}

const rowOf = (r: RankedRow): RankingRow => ({
  unitId: r.unit_id,
  name: r.name,
  kind: r.kind,
  ...ratesOf(r),
  rank: r.rank,
  previousRank: r.previous_rank,
  rankChange: r.rank !== null && r.previous_rank !== null ? r.previous_rank - r.rank : null,
});

async function weightsOfMonth(db: DbOrTx, month: string): Promise<Weights | null> {
  const { rows } = await db.execute<WeightsRow>(
    sql`select * from (select 1) one left join lateral (${weightsOn(firstDay(month))}) w on true`,
  );
  return weightsOf(rows[0]!);
}

/** The ranking computed from the rows counted in the month, whether or not it is frozen. */
async function liveRanking(db: DbOrTx, month: string, level: RankingLevel): Promise<Ranking> {
  const previous = addMonths(month, -1);
  const kinds = LEVEL_UNIT_KINDS[level] as readonly string[];
  const members =
    level === 'street'
      ? sql`select id, name, kind from ${streets}`
      : sql`select id, name, kind from ${units} where kind in (${sql.join(
          kinds.map((k) => sql`${k}`),
          sql`, `,
        )})`;
  const { rows } = await db.execute<RankedRow>(sql`
    with months as (
      select 0 as idx, ${month}::text as month
      union all
      select 1, ${previous}::text
    ),
    members as (${members}),
    -- The two months' counts per unit as the database keeps them (assessment_counts), then every
    -- member given its counts, zero without a row.
    aggregated as (
      select * from ${assessmentCounts}
      where month in (${month}, ${previous}) and unit_id in (select id from members)
    ),
    counted as (
      select mo.idx, m.id as unit_id, ${ZERO_IF_NONE}
      from months mo
      cross join members m
      left join aggregated g on g.month = mo.month and g.unit_id = m.id
    ),
    scored as (
      select c.idx, c.unit_id, c.rows, c.exempt, c.invalid_callbacks, c.valid, c.contacted, c.resolved,
        c.satisfied, c.basically_satisfied, w.version, w.response_weight, w.resolution_weight,
        w.satisfaction_weight, ${RATES}
      from counted c
      join months mo on mo.idx = c.idx
      left join lateral (${weightsOn(sql`to_date(mo.month, 'YYYY-MM')`)}) w on true
    ),
    ranked as (
      select s.*,
        case when s.composite is not null
          then rank() over (partition by s.idx, (s.composite is null) order by s.composite desc)::int end as rank
      from scored s
    )
    select cur.*, m.name, m.kind,
      case when exists (select 1 from ${frozenMonths} where month = ${previous}) then fp.rank else prev.rank end
        as previous_rank
    from ranked cur
    join members m on m.id = cur.unit_id
    left join ranked prev on prev.idx = 1 and prev.unit_id = cur.unit_id
    left join ${frozenRankings} fp on fp.month = ${previous} and fp.level = ${level} and fp.unit_id = cur.unit_id
    where cur.idx = 0
    order by cur.rank asc nulls last, cur.unit_id asc`);
  return {
    month,
    level,
    weights: rows[0] ? weightsOf(rows[0]) : await weightsOfMonth(db, month),
    items: rows.map(rowOf),
    frozenAt: null,
  };
}

/** Held shared by every insert into `assessments` (trigger `assessments_assign_month`), exclusively by a freeze. */
const MONTH_LOCK = sql`hashtextextended('jiesu.assessment_month', 0)`;

/**
 * Freezes a month that is over (at `asOf`): stores the ranking of every level as it stands, in one
 * transaction, and marks the month frozen, so rows written from then on count in a later month.
 * Idempotent: a month frozen once stays as published, and freezing it again changes nothing and
 * answers who froze it and when.
 */
export async function freezeMonth(
  db: DbOrTx,
  input: { month: string; workflowId: string; runId: string; asOf: Date },
): Promise<FreezeOutcome> {
  checkMonth(input.month);
  if (monthEnd(input.month) > input.asOf)
    throw new MonthError(`month ${input.month} is not over at ${input.asOf.toISOString()}: it cannot be frozen yet`);
  return db.transaction(async (tx) => {
    // Waits for inserts under way to commit; inserts after it wait for this freeze and then see it.
    await tx.execute(sql`select pg_advisory_xact_lock(${MONTH_LOCK})`);
    const [created] = await tx
      .insert(frozenMonths)
      .values({ month: input.month, workflowId: input.workflowId, runId: input.runId })
      .onConflictDoNothing()
      .returning();
    if (!created) {
      const existing = (await frozenMonth(tx, input.month))!;
      return {
        month: input.month,
        frozenNow: false,
        frozenAt: existing.frozenAt.toISOString(),
        workflowId: existing.workflowId,
        runId: existing.runId,
        rows: 0,
      };
    }
    let rows = 0;
    for (const level of RANKING_LEVELS) {
      const ranking = await liveRanking(tx, input.month, level);
      if (ranking.items.length === 0) continue;
      const decimal = (v: number | null) => (v === null ? null : String(v));
      const inserted = await tx
        .insert(frozenRankings)
        .values(
          ranking.items.map((r) => ({
            month: input.month,
            level,
            unitId: r.unitId,
            name: r.name,
            kind: r.kind,
            rows: r.rows,
            exempt: r.exempt,
            invalidCallbacks: r.invalidCallbacks,
            valid: r.valid,
            contacted: r.contacted,
            resolved: r.resolved,
            satisfied: r.satisfied,
            basicallySatisfied: r.basicallySatisfied,
            response: decimal(r.response),
            resolution: decimal(r.resolution),
            satisfaction: decimal(r.satisfaction),
            composite: decimal(r.composite),
            weightsVersion: ranking.weights?.version ?? null,
            rank: r.rank,
            previousRank: r.previousRank,
            rankChange: r.rankChange,
          })),
        )
        .onConflictDoNothing()
        .returning({ unitId: frozenRankings.unitId });
      rows += inserted.length;
    }
    return {
      month: input.month,
      frozenNow: true,
      frozenAt: created.frozenAt.toISOString(),
      workflowId: created.workflowId,
      runId: created.runId,
      rows,
    };
  });
}
