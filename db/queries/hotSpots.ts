/**
 * Hot spots and 每月一题 (Art. 26, 27: proactive governance 主动治理、未诉先办). Appeals count in the
 * Beijing month (Asia/Shanghai) they were received in (`received_at`), compared with the month
 * before and the same month a year earlier. Only counts and ids leave the database: no content,
 * no requester (Art. 26: analysis with privacy protected).
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { appeals } from '../schema/cases.js';
import { categories, streets } from '../schema/reference.js';
import { beijingMonth, checkMonth } from './supervision.js';

/** Every threshold and list length of the hot spots, in one place. */
export const HOT_SPOT_RULES = {
  /** `top`: the category × street pairs with the most appeals this month, at most this many (ties by category, street). */
  topPairs: 10,
  /** `risingCategories`: a category with at least this many appeals this month … */
  risingMinCount: 5,
  /**
   * … and at least this many times last month's count (a category with none last month rises by
   * its count alone; its `ratio` is null). Listed by `change` (count − lastMonth), at most `risingLimit`.
   */
  risingMinRatio: 1.5,
  risingLimit: 10,
  /**
   * `recurringAddresses`: the same address (blanks removed, case ignored) in the same street
   * received at least this many times in the month; most first, at most `recurringLimit`.
   */
  recurringMinCount: 3,
  recurringLimit: 20,
  /**
   * `monthlyTopics` (每月一题 candidates): a category with at least `topicMinCount` appeals this
   * month from at least `topicMinStreets` streets and townships (a problem of the city, not of one
   * place), not falling (count ≥ lastMonth) or above the same month last year; most first, at most
   * `topicLimit`.
   */
  topicMinCount: 10,
  topicMinStreets: 3,
  topicLimit: 5,
} as const;
export type HotSpotRules = { [K in keyof typeof HOT_SPOT_RULES]: number };

export interface HotSpots {
  month: string;
  top: {
    categoryId: string;
    categoryName: string | null;
    streetId: string;
    streetName: string | null;
    districtId: string | null;
    count: number;
    lastMonth: number;
    lastYear: number;
  }[];
  risingCategories: {
    categoryId: string;
    categoryName: string | null;
    count: number;
    lastMonth: number;
    /** count − lastMonth. */
    change: number;
    /** count ÷ lastMonth, 2 decimals; null when lastMonth is 0. */
    ratio: number | null;
  }[];
  recurringAddresses: { streetId: string | null; address: string; count: number; appealIds: string[] }[];
  monthlyTopics: {
    categoryId: string;
    categoryName: string | null;
    count: number;
    lastMonth: number;
    lastYear: number;
    /** How many streets and townships the month's appeals of the category came from. */
    streets: number;
    /** The numbers that make it a candidate, in words. */
    reason: string;
  }[];
}

interface Aggregate {
  category_code: string;
  category_name: string | null;
  street_id: string | null;
  street_name: string | null;
  district_id: string | null;
  /** 1: a category's row (every street); 0: a category × street pair. */
  by_category: number;
  count: number;
  last_month: number;
  last_year: number;
  streets: number;
  [key: string]: unknown;
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

function topicReason(t: { count: number; lastMonth: number; lastYear: number; streets: number }): string {
  const parts = [`本月${t.count}件，涉及${t.streets}个街乡`, `较上月${signed(t.count - t.lastMonth)}`];
  parts.push(`较去年同期${signed(t.count - t.lastYear)}`);
  return parts.join('；');
}

/** The month's hot spots by `rules` (HOT_SPOT_RULES unless a caller asks otherwise). */
export async function hotSpots(db: DbOrTx, month: string, rules: HotSpotRules = HOT_SPOT_RULES): Promise<HotSpots> {
  checkMonth(month);
  const now = beijingMonth(month);
  const prev = beijingMonth(month, 1);
  const year = beijingMonth(month, 12);
  // One pass over the three months' appeals (appeals_received_idx): per pair and per category,
  // with the pairs ranked by this month's count.
  const { rows } = await db.execute<Aggregate>(sql`
    with months as (
      select 0 as idx, ${now.starts} as starts, ${now.ends} as ends
      union all select 1, ${prev.starts}, ${prev.ends}
      union all select 12, ${year.starts}, ${year.ends}
    ),
    received as (
      select mo.idx, a.category_code, a.street_id
      from months mo
      join ${appeals} a on a.received_at >= mo.starts and a.received_at < mo.ends
    ),
    grouped as (
      select category_code, street_id, grouping(street_id) as by_category,
        count(*) filter (where idx = 0)::int as count,
        count(*) filter (where idx = 1)::int as last_month,
        count(*) filter (where idx = 12)::int as last_year,
        count(distinct street_id) filter (where idx = 0)::int as streets
      from received
      group by grouping sets ((category_code, street_id), (category_code))
    ),
    ranked as (
      select g.*,
        row_number() over (partition by g.by_category order by g.count desc, g.category_code, g.street_id) as pos
      from grouped g
      where g.by_category = 1 or g.street_id is not null
    )
    select r.category_code, r.street_id, r.by_category, r.count, r.last_month, r.last_year, r.streets,
      c.name as category_name, s.name as street_name, s.district_id
    from ranked r
    left join ${categories} c on c.code = r.category_code
    left join ${streets} s on s.id = r.street_id
    where r.by_category = 1 or (r.count > 0 and r.pos <= ${rules.topPairs})
    order by r.by_category, r.count desc, r.category_code, r.street_id`);

  const top = rows
    .filter((r) => r.by_category === 0)
    .map((r) => ({
      categoryId: r.category_code,
      categoryName: r.category_name,
      streetId: r.street_id!,
      streetName: r.street_name,
      districtId: r.district_id,
      count: r.count,
      lastMonth: r.last_month,
      lastYear: r.last_year,
    }));
  const perCategory = rows.filter((r) => r.by_category === 1);

  const risingCategories = perCategory
    .filter(
      (r) => r.count >= rules.risingMinCount && (r.last_month === 0 || r.count >= rules.risingMinRatio * r.last_month),
    )
    .map((r) => ({
      categoryId: r.category_code,
      categoryName: r.category_name,
      count: r.count,
      lastMonth: r.last_month,
      change: r.count - r.last_month,
      ratio: r.last_month === 0 ? null : Math.round((r.count / r.last_month) * 100) / 100,
    }))
    .sort((a, b) => b.change - a.change || b.count - a.count || a.categoryId.localeCompare(b.categoryId))
    .slice(0, rules.risingLimit);

  const monthlyTopics = perCategory
    .filter(
      (r) =>
        r.count >= rules.topicMinCount &&
        r.streets >= rules.topicMinStreets &&
        (r.count >= r.last_month || r.count > r.last_year),
    )
    .sort((a, b) => b.count - a.count || a.category_code.localeCompare(b.category_code))
    .slice(0, rules.topicLimit)
    .map((r) => {
      const t = { count: r.count, lastMonth: r.last_month, lastYear: r.last_year, streets: r.streets };
      return { categoryId: r.category_code, categoryName: r.category_name, ...t, reason: topicReason(t) };
    });

  const { rows: recurring } = await db.execute<{
    street_id: string | null;
    address: string;
    count: number;
    appeal_ids: string[];
  }>(sql`
    select a.street_id, mode() within group (order by a.address) as address, count(*)::int as count,
      array_agg(a.id order by a.received_at, a.id) as appeal_ids
    from ${appeals} a
    where a.received_at >= ${now.starts} and a.received_at < ${now.ends}
      and a.address is not null and btrim(a.address) <> ''
    group by a.street_id, lower(regexp_replace(a.address, '\\s+', '', 'g'))
    having count(*) >= ${rules.recurringMinCount}
    order by count desc, a.street_id nulls last, address
    limit ${rules.recurringLimit}`);

  return {
    month,
    top,
    risingCategories,
    recurringAddresses: recurring.map((r) => ({
      streetId: r.street_id,
      address: r.address,
      count: r.count,
      appealIds: r.appeal_ids,
    })),
    monthlyTopics,
  };
}
