// The official working-day calendar for handling deadlines (Asia/Shanghai), on the arithmetic
// of domain/workingCalendar.ts.
//
// Holiday data: the `chinese-days` package (statutory holidays and make-up working days 调休,
// per the State Council notices). We read its generated data file rather than call its
// isWorkday(): the package parses 'YYYY-MM-DD' as UTC midnight but formats in host-local
// time, so on a host with a negative UTC offset its answers shift by a day. The rule applied
// is the package's own: a make-up working day, or Monday-Friday and not a holiday.
import { createRequire } from 'node:module';
import { WorkingCalendar, type DeadlineResult, type DeadlineUnit } from '../../domain/workingCalendar.js';

export { MAX_WORKING_DAYS, type DeadlineResult, type DeadlineUnit } from '../../domain/workingCalendar.js';

interface ChineseDaysData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
  inLieuDays: Record<string, string>;
}

const requireData = createRequire(import.meta.url);
const data = requireData('chinese-days/dist/chinese-days.json') as ChineseDaysData;

/** Years (ascending) for which the official holiday schedule is known. */
export const KNOWN_YEARS: readonly number[] = Object.freeze(
  [...new Set(Object.keys(data.holidays).map((d) => Number(d.slice(0, 4))))].sort((a, b) => a - b),
);

/** The official calendar, every known year. */
export const OFFICIAL_CALENDAR = new WorkingCalendar({
  years: [...KNOWN_YEARS],
  holidays: Object.keys(data.holidays).sort(),
  workdays: Object.keys(data.workdays).sort(),
});

export function isKnownYear(year: number): boolean {
  return OFFICIAL_CALENDAR.covers(year);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses 'YYYY-MM-DD' to UTC-midnight ms of that civil date; RangeError if invalid. */
function parseCivilDate(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`invalid date '${date}', expected YYYY-MM-DD`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError(`invalid date '${date}'`);
  }
  return ms;
}

/**
 * Whether a civil date (YYYY-MM-DD, Beijing) is an official working day: make-up working
 * days count, statutory holidays and ordinary weekends do not. `undefined` when the year's
 * schedule is not known (see KNOWN_YEARS). Throws RangeError on a malformed date.
 */
export function isOfficialWorkingDay(date: string): boolean | undefined {
  const dayMs = parseCivilDate(date);
  if (!isKnownYear(new Date(dayMs).getUTCFullYear())) return undefined;
  return OFFICIAL_CALENDAR.isWorkingDay(dayMs);
}

/** Deadline instant for a window on the official calendar (WorkingCalendar.deadlineAt says how). */
export function deadlineAt(start: Date, amount: number, unit: DeadlineUnit): DeadlineResult {
  return OFFICIAL_CALENDAR.deadlineAt(start, amount, unit);
}
