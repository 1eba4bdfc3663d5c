import { describe, it, expect } from 'vitest';
import chineseDays from 'chinese-days';
import {
  KNOWN_YEARS,
  MAX_WORKING_DAYS,
  deadlineAt,
  isKnownYear,
  isOfficialWorkingDay,
  OFFICIAL_CALENDAR,
} from '../activities/deadlines/calendar.js';
import { countWindows, WorkingCalendar } from '../domain/workingCalendar.js';

// Instants are written in +08:00 (Beijing); a working-day deadline is 24:00 Beijing of the
// last counted day, i.e. 00:00 +08:00 of the following day.
const bj = (s: string) => new Date(`${s}+08:00`);

describe('isOfficialWorkingDay', () => {
  it('follows the 2025 National Day schedule (Oct 1-8 off, Sun Sep 28 and Sat Oct 11 worked)', () => {
    expect(isOfficialWorkingDay('2025-09-26')).toBe(true); // Fri
    expect(isOfficialWorkingDay('2025-09-27')).toBe(false); // Sat
    expect(isOfficialWorkingDay('2025-09-28')).toBe(true); // Sun, make-up
    for (let d = 1; d <= 8; d++) {
      expect(isOfficialWorkingDay(`2025-10-0${d}`)).toBe(false);
    }
    expect(isOfficialWorkingDay('2025-10-09')).toBe(true);
    expect(isOfficialWorkingDay('2025-10-11')).toBe(true); // Sat, make-up
    expect(isOfficialWorkingDay('2025-10-12')).toBe(false); // Sun
  });

  it('follows the 2026 Spring Festival schedule (Feb 15-23 off, Sat Feb 14 and Sat Feb 28 worked)', () => {
    expect(isOfficialWorkingDay('2026-02-13')).toBe(true);
    expect(isOfficialWorkingDay('2026-02-14')).toBe(true);
    for (let d = 15; d <= 23; d++) expect(isOfficialWorkingDay(`2026-02-${d}`)).toBe(false);
    expect(isOfficialWorkingDay('2026-02-24')).toBe(true);
    expect(isOfficialWorkingDay('2026-02-28')).toBe(true);
  });

  it('follows New Year 2026 (Jan 1-3 off, Sun Jan 4 worked)', () => {
    expect(isOfficialWorkingDay('2025-12-31')).toBe(true);
    expect(isOfficialWorkingDay('2026-01-01')).toBe(false);
    expect(isOfficialWorkingDay('2026-01-02')).toBe(false);
    expect(isOfficialWorkingDay('2026-01-03')).toBe(false);
    expect(isOfficialWorkingDay('2026-01-04')).toBe(true);
  });

  it('returns undefined for a year without data, and rejects malformed dates', () => {
    expect(isOfficialWorkingDay('2099-03-02')).toBeUndefined();
    expect(() => isOfficialWorkingDay('2025-02-30')).toThrow(RangeError);
    expect(() => isOfficialWorkingDay('2025/10/01')).toThrow(RangeError);
  });

  it('knows 2025 and 2026 but not 2099', () => {
    expect(KNOWN_YEARS).toContain(2025);
    expect(KNOWN_YEARS).toContain(2026);
    expect(isKnownYear(2099)).toBe(false);
    expect([...KNOWN_YEARS]).toEqual([...KNOWN_YEARS].sort((a, b) => a - b));
  });

  // The package's own API is correct only where the host UTC offset is >= 0 (see calendar.ts).
  it.skipIf(new Date(2025, 0, 1).getTimezoneOffset() > 0)(
    'agrees with chinese-days isWorkday() on every day of 2025 and 2026',
    () => {
      for (let t = Date.UTC(2025, 0, 1); t <= Date.UTC(2026, 11, 31); t += 86_400_000) {
        const day = new Date(t).toISOString().slice(0, 10);
        expect(isOfficialWorkingDay(day), day).toBe(chineseDays.isWorkday(day));
      }
    },
  );
});

describe('deadlineAt working_days', () => {
  it('skips National Day 2025 and counts both make-up Saturdays/Sundays', () => {
    // Fri Sep 26 10:00: Sep 28(1) 29(2) 30(3) | Oct 1-8 off | Oct 9(4) 10(5) 11(6) | 13(7).
    const r = deadlineAt(bj('2025-09-26T10:00:00'), 7, 'working_days');
    expect(r.at.toISOString()).toBe('2025-10-13T16:00:00.000Z');
    expect(r.at).toEqual(bj('2025-10-14T00:00:00'));
    expect(r.calendar).toBe('official');
    expect(r.unit).toBe('working_days');
    expect(r.note).toBeUndefined();
  });

  it('starting inside the holiday, the first working day is Oct 9', () => {
    expect(deadlineAt(bj('2025-10-03T15:00:00'), 1, 'working_days').at).toEqual(bj('2025-10-10T00:00:00'));
    // Thu Oct 9 + 2: Oct 10(1), Sat Oct 11 make-up (2).
    expect(deadlineAt(bj('2025-10-09T09:00:00'), 2, 'working_days').at.toISOString()).toBe('2025-10-11T16:00:00.000Z');
  });

  it('skips Spring Festival 2026 and counts the make-up Saturday Feb 14', () => {
    // Fri Feb 13: Sat Feb 14(1) | Feb 15-23 off | Feb 24(2) 25(3).
    const r = deadlineAt(bj('2026-02-13T11:30:00'), 3, 'working_days');
    expect(r.at.toISOString()).toBe('2026-02-25T16:00:00.000Z');
    expect(r.calendar).toBe('official');
    // Thu Feb 12 + 7: 13(1) 14(2) 24(3) 25(4) 26(5) 27(6) Sat 28 make-up (7).
    expect(deadlineAt(bj('2026-02-12T08:00:00'), 7, 'working_days').at.toISOString()).toBe('2026-02-28T16:00:00.000Z');
  });

  it('crosses the year boundary over New Year 2026', () => {
    // Tue Dec 30: Dec 31(1) | Jan 1-3 off | Sun Jan 4 make-up (2) | Mon Jan 5 (3).
    const r = deadlineAt(bj('2025-12-30T14:00:00'), 3, 'working_days');
    expect(r.at.toISOString()).toBe('2026-01-05T16:00:00.000Z');
    expect(r.calendar).toBe('official');
  });

  it('uses the Beijing civil date of the start, not the UTC one', () => {
    // 2025-12-30T16:30Z is already Wed Dec 31 00:30 in Beijing: next working day Sun Jan 4.
    const r = deadlineAt(new Date('2025-12-30T16:30:00Z'), 1, 'working_days');
    expect(r.at.toISOString()).toBe('2026-01-04T16:00:00.000Z');
    // 2025-12-30T15:59Z is still Tue Dec 30 in Beijing: next working day Wed Dec 31.
    expect(deadlineAt(new Date('2025-12-30T15:59:00Z'), 1, 'working_days').at.toISOString()).toBe(
      '2025-12-31T16:00:00.000Z',
    );
  });

  it('does not count the start day, even a working day started at 00:00', () => {
    expect(deadlineAt(bj('2025-11-03T00:00:00'), 1, 'working_days').at).toEqual(bj('2025-11-05T00:00:00'));
  });

  it('amount 0 returns the start instant', () => {
    const start = bj('2025-10-01T12:00:00');
    expect(deadlineAt(start, 0, 'working_days').at).toEqual(start);
  });

  it('falls back to natural days in an unknown year and names it', () => {
    // 2099: no official schedule; 5 days after Mon Mar 2 = end of Sat Mar 7.
    const r = deadlineAt(bj('2099-03-02T09:00:00'), 5, 'working_days');
    expect(r.at.toISOString()).toBe('2099-03-07T16:00:00.000Z');
    expect(r.calendar).toBe('natural_fallback');
    expect(r.note).toContain('2099');
  });

  it('counts known days officially and unknown-year days naturally across a boundary', () => {
    const last = Math.max(...KNOWN_YEARS);
    expect(last).toBe(2026); // chinese-days@1.5.7; update the instants below when it grows
    // Wed Dec 30 2026: Thu Dec 31(1, official) | Jan 1 2027 (2), Jan 2 (3) natural.
    const r = deadlineAt(bj('2026-12-30T10:00:00'), 3, 'working_days');
    expect(r.at.toISOString()).toBe('2027-01-02T16:00:00.000Z');
    expect(r.calendar).toBe('natural_fallback');
    expect(r.note).toContain('2027');
  });
});

describe('deadlineAt natural units', () => {
  it('natural_hours adds hours, ignoring holidays', () => {
    const r = deadlineAt(bj('2025-10-01T09:15:00'), 2, 'natural_hours');
    expect(r.at.toISOString()).toBe('2025-10-01T03:15:00.000Z');
    expect(r).toMatchObject({ unit: 'natural_hours', calendar: 'official' });
    expect(deadlineAt(bj('2025-12-31T23:00:00'), 24, 'natural_hours').at).toEqual(bj('2026-01-01T23:00:00'));
    expect(deadlineAt(bj('2025-10-01T09:00:00'), 1.5, 'natural_hours').at).toEqual(bj('2025-10-01T10:30:00'));
  });

  it('natural_days adds 24-hour days', () => {
    const r = deadlineAt(bj('2025-09-30T18:00:00'), 7, 'natural_days');
    expect(r.at.toISOString()).toBe('2025-10-07T10:00:00.000Z');
    expect(r).toMatchObject({ unit: 'natural_days', calendar: 'official' });
    expect(deadlineAt(bj('2099-01-01T00:00:00'), 15, 'natural_days').calendar).toBe('official');
  });
});

describe('deadlineAt validation', () => {
  const start = bj('2025-10-01T09:00:00');
  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('rejects amount %s', (amount) => {
    for (const unit of ['natural_hours', 'natural_days', 'working_days'] as const) {
      expect(() => deadlineAt(start, amount, unit)).toThrow(RangeError);
    }
  });

  it('rejects non-number amounts, fractional or huge working days, bad start and unit', () => {
    expect(() => deadlineAt(start, '3' as unknown as number, 'natural_days')).toThrow(RangeError);
    expect(() => deadlineAt(start, 1.5, 'working_days')).toThrow(RangeError);
    expect(() => deadlineAt(start, MAX_WORKING_DAYS + 1, 'working_days')).toThrow(RangeError);
    expect(() => deadlineAt(new Date('nope'), 1, 'natural_hours')).toThrow(RangeError);
    expect(() => deadlineAt(start, 1, 'weeks' as never)).toThrow(RangeError);
    expect(() => deadlineAt(start, 1e20, 'natural_hours')).toThrow(RangeError);
  });
});

describe('the calendar slice a dispatch plan brings (domain/workingCalendar.ts)', () => {
  const slice = new WorkingCalendar(OFFICIAL_CALENDAR.slice(2025, 2026));

  it('counts like the official calendar within its years', () => {
    for (const [from, days] of [
      ['2025-09-28T10:00:00', 15],
      ['2025-12-30T09:00:00', 5],
      ['2026-02-12T18:00:00', 10],
    ] as const)
      expect(slice.deadlineAt(bj(from), days, 'working_days')).toEqual(deadlineAt(bj(from), days, 'working_days'));
  });

  it('says so when a count runs past its years, where the official calendar may know more', () => {
    const counted = countWindows(slice, { handling: { amount: 10, unit: 'working_days' } }, bj('2026-12-28T10:00:00'), [
      'handling',
    ]);
    expect(counted.notes).toEqual([expect.stringContaining('2027')]);
    expect(countWindows(slice, {}, bj('2026-01-05T10:00:00'), ['handling']).missing).toEqual(['handling']);
  });
});
