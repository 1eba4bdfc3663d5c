/**
 * `BENCH_MODE=rankings npm run bench`: the monthly rankings at city scale. Generates a month of
 * assessment rows (1,000,000 by default, BENCH_RANKING_ROWS) over every street and township and
 * every ranked unit, plus a fifth of that in the month before (for the rank change), then times
 * the live ranking of each level, one unit's month, the freeze of the month and the frozen
 * ranking, and prints PostgreSQL's plan of the live street ranking (EXPLAIN ANALYZE, BUFFERS).
 * The month's counts per unit come from assessment_counts, which the database keeps as rows are
 * written (one counter update per row: fine at 60,000 appeals a day, slow for a bulk load of a
 * million rows in a few statements, so the load computes them once instead).
 */
import { performance } from 'node:perf_hooks';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import * as schema from '../../db/schema/index.js';
import { freezeMonth, monthRanking, RANKING_LEVELS, unitMonthRates } from '../../db/queries/rates.js';
import { percentile } from './measure.js';
import { markdownTable } from './report.js';

export interface RankingsResult {
  rows: number;
  previousMonthRows: number;
  month: string;
  generateSec: number;
  timings: { what: string; p50Ms: number; maxMs: number; runs: number }[];
  plan: string;
}

/** A month far from any real data in the benchmark's own database, and the month before it. */
const MONTH = '2025-06';
const PREVIOUS = '2025-05';
const BATCH = 100_000;

/**
 * Appeals closed in `month` (Beijing) with one assessment row each: the lead, a street or
 * township for four rows in five, another ranked unit otherwise. Answers are spread so that rates
 * differ between units: a valid callback 9 times in 10, then contacted, resolved and satisfied
 * with fixed odds drawn from a hash of the row number (the same data every run).
 */
async function generate(pool: pg.Pool, month: string, from: number, count: number, say: (m: string) => void) {
  for (let start = from; start < from + count; start += BATCH) {
    const end = Math.min(from + count, start + BATCH) - 1;
    await pool.query(
      `with street_ids as (
         select array_agg(id order by id) as streets from streets
       ), others as (
         select array_agg(id order by id) as ids from units
         where kind not in ('hotline_center', 'central_military_liaison')
       ), rows as (
         select g,
           case when g % 5 < 4 then u.streets[1 + (hashint4(g) & 2147483647) % cardinality(u.streets)]
                else o.ids[1 + (hashint4(g + 7) & 2147483647) % cardinality(o.ids)] end as unit_id,
           (($1 || '-01')::date::timestamp at time zone 'Asia/Shanghai')
             + ((hashint4(g + 11) & 2147483647) % (27 * 86400)) * interval '1 second' as closed_at,
           (hashint4(g + 13) & 2147483647) % 1000 as dice
         from generate_series($2::int, $3::int) g, street_ids u, others o
       ), appeals_in as (
         insert into appeals (id, workflow_id, channel, appeal_type, category_code, content, stage, lead_unit_id,
                              involved_unit_ids, received_at, closed_at)
         select 'bench-rank-' || g, 'appeal-bench-rank-' || g, 'phone', 'help', 'utilities.water.outage',
                'benchmark', 'closed', unit_id, array[unit_id], closed_at - interval '3 days', closed_at
         from rows
         returning id
       )
       insert into assessments (appeal_id, unit_id, role, responded, callback_valid, contacted, resolved,
                                satisfaction, claimed_contacted, claimed_resolved, reported, closed_at)
       select 'bench-rank-' || g, unit_id, 'lead', true, dice < 900,
              case when dice < 900 then dice % 100 < 95 end,
              case when dice < 900 then dice % 100 < 80 + (hashint4(g + 17) & 15) end,
              case when dice >= 900 then null
                   when dice % 10 < 6 then 'satisfied'
                   when dice % 10 < 9 then 'basically_satisfied'
                   else 'unsatisfied' end,
              true, true, true, closed_at
       from rows
       where exists (select 1 from appeals_in)`,
      [month, start, end],
    );
    say(`  ${month}: ${end - from + 1} of ${count} rows`);
  }
}

/** Runs `op` `runs` times; the first run warms the cache and is not counted. */
async function timed(what: string, runs: number, op: () => Promise<unknown>) {
  await op();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await op();
    ms.push(performance.now() - started);
  }
  return { what, p50Ms: percentile(ms, 50), maxMs: Math.max(...ms), runs };
}

export async function benchRankings(
  pool: pg.Pool,
  settings: { rows: number; say: (message: string) => void },
): Promise<RankingsResult> {
  const { say } = settings;
  const previousRows = Math.round(settings.rows / 5);
  const began = performance.now();
  say(`rankings: generating ${settings.rows} assessment rows in ${MONTH} and ${previousRows} in ${PREVIOUS}`);
  // A bulk load, as a restore would do it: the per-row counting trigger off, the counts of the
  // loaded months computed once afterwards (the same counts as migration 0010's backfill).
  await pool.query('alter table assessments disable trigger assessments_count');
  await generate(pool, PREVIOUS, 1, previousRows, say);
  await generate(pool, MONTH, previousRows + 1, settings.rows, say);
  await pool.query('alter table assessments enable trigger assessments_count');
  await pool.query(
    `insert into assessment_counts (month, unit_id, rows, exempt, invalid_callbacks, valid, contacted, resolved,
       satisfied, basically_satisfied)
     select assessment_month, unit_id, count(*),
       count(*) filter (where exempt),
       count(*) filter (where not exempt and not callback_valid),
       count(*) filter (where not exempt and callback_valid),
       count(*) filter (where not exempt and callback_valid and contacted),
       count(*) filter (where not exempt and callback_valid and resolved),
       count(*) filter (where not exempt and callback_valid and satisfaction = 'satisfied'),
       count(*) filter (where not exempt and callback_valid and satisfaction = 'basically_satisfied')
     from assessments where assessment_month in ($1, $2) group by assessment_month, unit_id`,
    [PREVIOUS, MONTH],
  );
  // As autovacuum would by then: statistics, and the visibility map that index-only scans need.
  await pool.query('vacuum analyze appeals');
  await pool.query('vacuum analyze assessments');
  const generateSec = (performance.now() - began) / 1000;

  // The SQL drizzle sends, kept for EXPLAIN.
  const sent: { query: string; params: unknown[] }[] = [];
  const db = drizzle(pool, {
    schema,
    logger: { logQuery: (query, params) => void sent.push({ query, params }) },
  });
  const timings = [];
  for (const level of RANKING_LEVELS)
    timings.push(await timed(`live ranking, ${level} level`, 5, () => monthRanking(db, MONTH, level)));
  const { rows: busiest } = await pool.query<{ unit_id: string }>(
    `select unit_id from assessments where assessment_month = $1 group by unit_id order by count(*) desc limit 1`,
    [MONTH],
  );
  timings.push(
    await timed(`one unit's month (${busiest[0]!.unit_id}, with its rows)`, 5, () =>
      unitMonthRates(db, busiest[0]!.unit_id, MONTH),
    ),
  );

  sent.length = 0;
  await monthRanking(db, MONTH, 'street');
  const rankingQuery = sent.find((q) => /rank\(\)/i.test(q.query));
  const plan = rankingQuery
    ? (
        await pool.query<{ 'QUERY PLAN': string }>(
          `explain (analyze, buffers, format text) ${rankingQuery.query}`,
          rankingQuery.params,
        )
      ).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n')
    : '(the ranking query was not seen)';

  const freezeStarted = performance.now();
  const asOf = new Date();
  await freezeMonth(db, { month: PREVIOUS, workflowId: 'bench', runId: 'bench', asOf });
  await freezeMonth(db, { month: MONTH, workflowId: 'bench', runId: 'bench', asOf });
  const freezeMs = performance.now() - freezeStarted;
  timings.push({ what: `freeze ${PREVIOUS} and ${MONTH} (every level)`, p50Ms: freezeMs, maxMs: freezeMs, runs: 1 });
  for (const level of RANKING_LEVELS)
    timings.push(await timed(`frozen ranking, ${level} level`, 5, () => monthRanking(db, MONTH, level)));
  return { rows: settings.rows, previousMonthRows: previousRows, month: MONTH, generateSec, timings, plan };
}

export function rankingsTable(result: RankingsResult): string {
  return markdownTable(
    ['query', 'p50', 'max', 'runs'],
    result.timings.map((t) => [t.what, `${t.p50Ms.toFixed(0)} ms`, `${t.maxMs.toFixed(0)} ms`, String(t.runs)]),
  );
}
