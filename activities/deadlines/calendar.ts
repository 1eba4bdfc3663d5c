// Working-day calendar for handling deadlines (Asia/Shanghai, official Chinese calendar).
//
// Time zone: China has had no DST since 1991, so Asia/Shanghai is a fixed UTC+08:00 offset.
// All civil-date arithmetic below shifts instants by +8h and uses the UTC getters; no
// timezone library and no dependency on the host's TZ.
//
// Holiday data: the `chinese-days` package (statutory holidays and make-up working days 调休,
// per the State Council notices). We read its generated data file rather than call its
// isWorkday(): the package parses 'YYYY-MM-DD' as UTC midnight but formats in host-local
// time, so on a host with a negative UTC offset its answers shift by a day. The rule applied
// here is the package's own: a make-up working day, or Monday-Friday and not a holiday.
import { createRequire } from 'node:module';

export type DeadlineUnit = 'natural_hours' | 'natural_days' | 'working_days';

export interface DeadlineResult {
  /** The absolute deadline instant. */
  at: Date;
  unit: DeadlineUnit;
  /**
   * 'official': computed as asked (natural units need no calendar).
   * 'natural_fallback': some counted days fell in a year the holiday data does not cover;
   * those days were counted as natural days (see `note`).
   */
  calendar: 'official' | 'natural_fallback';
  note?: string;
}

interface ChineseDaysData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
  inLieuDays: Record<string, string>;
}

const requireData = createRequire(import.meta.url);
const data = requireData('chinese-days/dist/chinese-days.json') as ChineseDaysData;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const SHANGHAI_OFFSET_MS = 8 * HOUR_MS;
/** Upper bound on a working-day amount; guards against runaway loops. */
export const MAX_WORKING_DAYS = 3660;

/** Years (ascending) for which the official holiday schedule is known. */
export const KNOWN_YEARS: readonly number[] = Object.freeze(
  [...new Set(Object.keys(data.holidays).map((d) => Number(d.slice(0, 4))))].sort((a, b) => a - b),
);
const knownYearSet = new Set(KNOWN_YEARS);

export function isKnownYear(year: number): boolean {
  return knownYearSet.has(year);
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

/** Official rule for a civil date given as UTC-midnight ms; caller checks the year is known. */
function officialWorkingDay(dayMs: number): boolean {
  const key = new Date(dayMs).toISOString().slice(0, 10);
  if (data.workdays[key] !== undefined) return true;
  const weekday = new Date(dayMs).getUTCDay();
  return weekday >= 1 && weekday <= 5 && data.holidays[key] === undefined;
}

/**
 * Whether a civil date (YYYY-MM-DD, Beijing) is an official working day: make-up working
 * days count, statutory holidays and ordinary weekends do not. `undefined` when the year's
 * schedule is not known (see KNOWN_YEARS). Throws RangeError on a malformed date.
 */
export function isOfficialWorkingDay(date: string): boolean | undefined {
  const dayMs = parseCivilDate(date);
  if (!isKnownYear(new Date(dayMs).getUTCFullYear())) return undefined;
  return officialWorkingDay(dayMs);
}

/**
 * Deadline instant for a window of `amount` units starting at `start`.
 *
 * - natural_hours: start + amount hours.
 * - natural_days: start + amount × 24 hours.
 * - working_days: the end of the Nth official working day after the start day (the start day
 *   itself never counts, whatever the time or kind of day). Days in a year the holiday data
 *   does not cover are counted as natural days; the result is then marked 'natural_fallback'
 *   with a note naming the year(s). Amount must be an integer ≤ MAX_WORKING_DAYS.
 * - amount 0 (any unit): the start instant itself.
 *
 * Throws RangeError for an invalid start, unit or amount (not finite, negative).
 */
export function deadlineAt(start: Date, amount: number, unit: DeadlineUnit): DeadlineResult {
  if (!(start instanceof Date) || Number.isNaN(start.getTime())) {
    throw new RangeError('start must be a valid Date');
  }
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
    throw new RangeError(`amount must be a finite non-negative number, got ${String(amount)}`);
  }
  const startMs = start.getTime();
  switch (unit) {
    case 'natural_hours':
      return { at: checkedDate(startMs + amount * HOUR_MS), unit, calendar: 'official' };
    case 'natural_days':
      return { at: checkedDate(startMs + amount * DAY_MS), unit, calendar: 'official' };
    case 'working_days':
      return workingDays(startMs, amount);
    default:
      throw new RangeError(`unknown deadline unit '${String(unit)}'`);
  }
}

function checkedDate(ms: number): Date {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new RangeError('deadline is outside the Date range');
  return d;
}

function workingDays(startMs: number, amount: number): DeadlineResult {
  const unit: DeadlineUnit = 'working_days';
  if (!Number.isInteger(amount) || amount > MAX_WORKING_DAYS) {
    throw new RangeError(`working_days amount must be an integer between 0 and ${MAX_WORKING_DAYS}, got ${amount}`);
  }
  if (amount === 0) return { at: new Date(startMs), unit, calendar: 'official' };

  // Civil date of the start in Beijing, as UTC-midnight ms of that date.
  const shifted = startMs + SHANGHAI_OFFSET_MS;
  let dayMs = shifted - (((shifted % DAY_MS) + DAY_MS) % DAY_MS);
  const unknownYears = new Set<number>();
  let counted = 0;
  while (counted < amount) {
    dayMs += DAY_MS;
    const year = new Date(dayMs).getUTCFullYear();
    if (!isKnownYear(year)) {
      unknownYears.add(year);
      counted++;
    } else if (officialWorkingDay(dayMs)) {
      counted++;
    }
  }
  // Deadline = end of the last counted day, 24:00 Beijing = next day 00:00 +08:00.
  const at = checkedDate(dayMs + DAY_MS - SHANGHAI_OFFSET_MS);
  if (unknownYears.size === 0) return { at, unit, calendar: 'official' };
  const years = [...unknownYears].join(', ');
  return {
    at,
    unit,
    calendar: 'natural_fallback',
    note: `official holiday schedule unknown for ${years}; days in ${years} counted as natural days`,
  };
}
