/**
 * An appeal as a GeoReport v2 service request: `service_request_id` is its work order number
 * (its id until it has one), `status` open or closed, `agency_responsible` the unit in charge,
 * `expected_datetime` the handling deadline, `status_notes` the stage in plain words (and, for
 * one request read with its token or a key, the last answer given to the requester). Nothing
 * personal: no name, phone, content or address, which `/v1` shows to those allowed.
 */
import { inArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Stage } from '../../../domain/appeal.js';
import { categories } from '../../../db/schema/reference.js';
import type { Appeal } from '../../../db/schema/index.js';
import { findHandlingUnits } from '../../../db/queries/directory.js';
import { HOTLINE_CENTER_UNIT_ID } from '../../../db/queries/reference.js';
import { stageInPlainWords, type RequesterStatus } from '../../requesterStatus.js';

/** W3C date-time in Beijing time, as GeoReport v2 writes them: `2026-11-30T19:41:07+08:00`. */
export function beijingTime(at: Date | string | null | undefined): string | undefined {
  if (at === null || at === undefined) return undefined;
  const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
  return `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
}

/** What callers outside the case may call an appeal: its work order number once it has one. */
export const serviceRequestId = (row: Pick<Appeal, 'id' | 'workOrderNo'>): string => row.workOrderNo ?? row.id;

export type ServiceRequest = Record<string, string | undefined>;

/** Rows of a list, with unit and category names read once for the page. */
export async function serviceRequestsOf(app: FastifyInstance, rows: Appeal[]): Promise<ServiceRequest[]> {
  const unitIds = [...new Set([HOTLINE_CENTER_UNIT_ID, ...rows.map((r) => r.leadUnitId).filter(Boolean)])];
  const codes = [...new Set(rows.map((r) => r.categoryCode))];
  const [units, names] = await Promise.all([
    findHandlingUnits(app.db, unitIds as string[]),
    codes.length
      ? app.db
          .select({ code: categories.code, name: categories.name })
          .from(categories)
          .where(inArray(categories.code, codes))
      : Promise.resolve([]),
  ]);
  const categoryName = new Map(names.map((c) => [c.code, c.name]));
  return rows.map((r) => ({
    service_request_id: serviceRequestId(r),
    status: r.stage === 'closed' ? 'closed' : 'open',
    status_notes: stageInPlainWords(r.stage as Stage, r.disposition),
    service_name: categoryName.get(r.categoryCode),
    service_code: r.categoryCode,
    agency_responsible: units.get(r.leadUnitId ?? HOTLINE_CENTER_UNIT_ID)?.name,
    requested_datetime: beijingTime(r.receivedAt),
    updated_datetime: beijingTime(r.updatedAt),
    expected_datetime: r.stage === 'closed' ? undefined : beijingTime(r.deadlines.handling),
  }));
}

/** One request as its requester (or a key allowed to see it) reads it: the requester's status in the spec's words. */
export async function serviceRequestOf(
  app: FastifyInstance,
  row: Appeal,
  status: RequesterStatus,
): Promise<ServiceRequest> {
  const [listed] = await serviceRequestsOf(app, [row]);
  const last = status.answers.at(-1);
  return {
    ...listed,
    status_notes: last ? `${status.stageText}。${last.text}` : status.stageText,
    agency_responsible: status.unitInCharge?.name,
    expected_datetime: beijingTime(status.deadline),
  };
}
