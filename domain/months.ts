/**
 * Beijing calendar months (`YYYY-MM`) as plain arithmetic, for workflow code as much as for the
 * database side. Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so a fixed
 * offset is exact for every month the service will see, and no time-zone data is needed.
 */
export const MONTH_PATTERN = '^[1-9][0-9]{3}-(0[1-9]|1[0-2])$';
const MONTH = new RegExp(MONTH_PATTERN);
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

export const isMonth = (value: string): boolean => MONTH.test(value);

const format = (year: number, monthIndex: number): string => {
  const d = new Date(Date.UTC(year, monthIndex, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};

const parts = (month: string): [number, number] => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return [y, m - 1];
};

/** The Beijing month an instant falls in. */
export function beijingMonthOf(at: Date): string {
  const local = new Date(at.getTime() + BEIJING_OFFSET_MS);
  return format(local.getUTCFullYear(), local.getUTCMonth());
}

/** `month` moved by `delta` months (negative: earlier). */
export function addMonths(month: string, delta: number): string {
  const [y, m] = parts(month);
  return format(y, m + delta);
}

/** The instant the month ends: 00:00 Beijing time on the next month's first day. */
export function monthEnd(month: string): Date {
  const [y, m] = parts(month);
  return new Date(Date.UTC(y, m + 1, 1) - BEIJING_OFFSET_MS);
}

/** What freezing a month did (`freezeMonth`, the `freezeAssessmentMonth` activity, the workflow's result). */
export interface FreezeOutcome {
  month: string;
  /** false: the month was already frozen, by the execution named, and nothing changed. */
  frozenNow: boolean;
  /** When the month was frozen (ISO): now, or the first time. */
  frozenAt: string;
  workflowId: string;
  runId: string;
  /** Ranking rows stored by this freeze (0 when already frozen). */
  rows: number;
}
