/**
 * A month's ranking as CSV for publication: Chinese headers, UTF-8 with a BOM so that Excel
 * reads it as UTF-8, one line per unit in the ranking's order. Rates and the composite are the
 * ranking's numbers as they are (fractions, 4 decimals); a unit without a valid callback has an
 * empty rank and empty rates and says so in 说明.
 */
import { stringify } from 'csv-stringify/sync';
import type { Ranking, RankingLevel } from '../db/queries/rates.js';

export const RANKING_CSV_COLUMNS = [
  '排名',
  '单位编码',
  '单位',
  '类型',
  '有效回访数',
  '响应率',
  '解决率',
  '满意率',
  '综合得分',
  '上月排名',
  '名次变化',
  '说明',
] as const;

export const NO_VALID_CALLBACK = '无有效回访';

const KIND_NAMES: Record<string, string> = {
  street: '街道',
  township: '乡镇',
  district_government: '区政府',
  city_department: '市级部门',
  district_department: '区级部门',
  sector_authority: '行业主管部门',
  public_service_enterprise: '公共服务企业',
};

export const LEVEL_NAMES: Record<RankingLevel, string> = { street: '街乡', department: '部门', enterprise: '企业' };

const cell = (v: number | null): string => (v === null ? '' : String(v));
/** +2: moved up two places; -1: down one; 0: kept its place. */
const change = (v: number | null): string => (v === null ? '' : v > 0 ? `+${v}` : String(v));

/** The CSV as a string that starts with U+FEFF: sent as UTF-8, its first bytes are EF BB BF. */
export function rankingCsv(ranking: Ranking): string {
  const records = ranking.items.map((r) => [
    cell(r.rank),
    r.unitId,
    r.name,
    KIND_NAMES[r.kind] ?? r.kind,
    String(r.valid),
    cell(r.response),
    cell(r.resolution),
    cell(r.satisfaction),
    cell(r.composite),
    cell(r.previousRank),
    change(r.rankChange),
    r.valid === 0 ? NO_VALID_CALLBACK : '',
  ]);
  // CRLF as RFC 4180 and Excel expect; `bom` writes EF BB BF first.
  return stringify(records, {
    bom: true,
    header: true,
    columns: [...RANKING_CSV_COLUMNS],
    record_delimiter: 'windows',
  });
}

/** `attachment` with an ASCII name for old clients and the Chinese one (RFC 6266, 5987) for the rest. */
export function rankingCsvDisposition(month: string, level: RankingLevel): string {
  const ascii = `rankings-${month}-${level}.csv`;
  const chinese = `考评排名-${month}-${LEVEL_NAMES[level]}.csv`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(chinese)}`;
}
