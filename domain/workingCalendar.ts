/**
 * Deadline arithmetic on a working-day calendar (Asia/Shanghai), pure and free of Node APIs:
 * the deadline activities run it on the official calendar they load, and the appeal workflow
 * runs it on the slice of that calendar its dispatch plan brought (the plan is in history, so
 * a replay computes the same instants).
 *
 * Time zone: China has had no DST since 1991, so Asia/Shanghai is a fixed UTC+08:00 offset.
 * All civil-date arithmetic shifts instants by +8h and uses the UTC getters; no timezone
 * library and no dependency on the host's TZ.
 */

export type DeadlineUnit = 'natural_hours' | 'natural_days' | 'working_days';

/**
 * The official schedule for whole years: statutory holidays and make-up working days (调休),
 * as 'YYYY-MM-DD' civil dates. A day of a covered year is a working day when it is a make-up
 * working day, or Monday-Friday and not a holiday.
 */
export interface CalendarYears {
  /** Ascending years the schedule covers. */
  years: number[];
  holidays: string[];
  workdays: string[];
}

export interface DeadlineResult {
  /** The absolute deadline instant. */
  at: Date;
  unit: DeadlineUnit;
  /**
   * 'official': computed as asked (natural units need no calendar).
   * 'natural_fallback': some counted days fell in a year the calendar does not cover;
   * those days were counted as natural days (see `note`).
   */
  calendar: 'official' | 'natural_fallback';
  note?: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const SHANGHAI_OFFSET_MS = 8 * HOUR_MS;
/** Upper bound on a working-day amount; guards against runaway loops. */
export const MAX_WORKING_DAYS = 3660;

/** A calendar ready for lookups. */
export class WorkingCalendar {
  private readonly years: ReadonlySet<number>;
  private readonly holidays: ReadonlySet<string>;
  private readonly workdays: ReadonlySet<string>;

  constructor(readonly schedule: CalendarYears) {
    this.years = new Set(schedule.years);
    this.holidays = new Set(schedule.holidays);
    this.workdays = new Set(schedule.workdays);
  }

  covers(year: number): boolean {
    return this.years.has(year);
  }

  /** The schedule of `years` only (those it covers): what a dispatch plan carries. */
  slice(fromYear: number, toYear: number): CalendarYears {
    const inRange = (d: string) => Number(d.slice(0, 4)) >= fromYear && Number(d.slice(0, 4)) <= toYear;
    return {
      years: this.schedule.years.filter((y) => y >= fromYear && y <= toYear),
      holidays: this.schedule.holidays.filter(inRange),
      workdays: this.schedule.workdays.filter(inRange),
    };
  }

  /** Official rule for a civil date given as UTC-midnight ms; the caller checks the year is covered. */
  isWorkingDay(dayMs: number): boolean {
    const key = new Date(dayMs).toISOString().slice(0, 10);
    if (this.workdays.has(key)) return true;
    const weekday = new Date(dayMs).getUTCDay();
    return weekday >= 1 && weekday <= 5 && !this.holidays.has(key);
  }

  /**
   * Deadline instant for a window of `amount` units starting at `start`.
   *
   * - natural_hours: start + amount hours.
   * - natural_days: start + amount × 24 hours.
   * - working_days: the end of the Nth working day after the start day (the start day itself
   *   never counts, whatever the time or kind of day). Days in a year the calendar does not
   *   cover are counted as natural days; the result is then marked 'natural_fallback' with a
   *   note naming the year(s). Amount must be an integer ≤ MAX_WORKING_DAYS.
   * - amount 0 (any unit): the start instant itself.
   *
   * Throws RangeError for an invalid start, unit or amount (not finite, negative).
   */
  deadlineAt(start: Date, amount: number, unit: DeadlineUnit): DeadlineResult {
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
        return this.workingDays(startMs, amount);
      default:
        throw new RangeError(`unknown deadline unit '${String(unit)}'`);
    }
  }

  private workingDays(startMs: number, amount: number): DeadlineResult {
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
      if (!this.covers(year)) {
        unknownYears.add(year);
        counted++;
      } else if (this.isWorkingDay(dayMs)) {
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
}

function checkedDate(ms: number): Date {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new RangeError('deadline is outside the Date range');
  return d;
}

/** A window of a deadline policy: how much time, in which unit. */
export interface DeadlineWindow {
  amount: number;
  unit: DeadlineUnit;
}

/**
 * What a case needs to count its own deadlines: its policy version's windows and the official
 * calendar of the years around its dispatch. A dispatch plan brings them; the case keeps them.
 */
export interface DeadlineRules<W extends string = string> {
  windows: Partial<Record<W, DeadlineWindow>>;
  calendar: CalendarYears;
}

/** Deadlines of the named windows from `from`; `notes` says which fell back to natural days. */
export function countWindows<W extends string>(
  calendar: WorkingCalendar,
  windows: Partial<Record<W, DeadlineWindow>>,
  from: Date,
  names: readonly W[],
): { deadlines: Partial<Record<W, string>>; notes: string[]; missing: W[] } {
  const deadlines: Partial<Record<W, string>> = {};
  const notes = new Set<string>();
  const missing: W[] = [];
  for (const name of names) {
    const window = windows[name];
    if (!window) {
      missing.push(name);
      continue;
    }
    const result = calendar.deadlineAt(from, window.amount, window.unit);
    deadlines[name] = result.at.toISOString();
    if (result.note) notes.add(result.note);
  }
  return { deadlines, notes: [...notes], missing };
}

/** The civil year in Beijing of an instant. */
export function beijingYear(at: Date): number {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).getUTCFullYear();
}
