/**
 * The work order number (工单编号) a requester is told at intake and can read out on the phone:
 * the Beijing date of intake and that day's sequence, `YYYYMMDD-NNNNNN` (e.g. `20261130-000042`).
 * Fixed width, digits only apart from the dash, so it is read out and typed back the same way;
 * six digits leave room for ten times the busiest day. Pure functions: the number itself is
 * handed out by PostgreSQL (`work_order_days`) in the intake's transaction.
 */

/** Beijing has kept UTC+8 all year since 1991: no daylight saving to account for. */
const BEIJING_OFFSET_MS = 8 * 3_600_000;
const SEQUENCE_DIGITS = 6;

/** Exactly what `workOrderNo` writes. */
export const WORK_ORDER_NO = /^\d{8}-\d{6}$/;

export const isWorkOrderNo = (value: string): boolean => WORK_ORDER_NO.test(value);

/** The Beijing calendar date of an instant, `YYYYMMDD`: the day whose sequence an intake takes. */
export function beijingDay(instant: string | Date): string {
  const ms = (typeof instant === 'string' ? Date.parse(instant) : instant.getTime()) + BEIJING_OFFSET_MS;
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

/** The number for the `sequence`-th intake (from 1) of `day`. */
export function workOrderNo(day: string, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence >= 10 ** SEQUENCE_DIGITS)
    throw new RangeError(`work order sequence ${sequence} does not fit ${SEQUENCE_DIGITS} digits`);
  return `${day}-${String(sequence).padStart(SEQUENCE_DIGITS, '0')}`;
}
