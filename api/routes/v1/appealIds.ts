/**
 * Every route that names an appeal in its path or a filter takes its work order number (工单编号) as well:
 * it is what a requester reads out on the phone and what the center types back. A number is
 * resolved to the appeal's id by one read of its unique index; anything else is an appeal id.
 */
import type { FastifyInstance } from 'fastify';
import { findAppealIdByWorkOrderNo } from '../../../db/queries/workOrderNumbers.js';
import { isWorkOrderNo } from '../../../domain/workOrderNumbers.js';
import { notFound } from './cases.js';

/** The appeal id `idOrNo` names; undefined for a work order number no appeal has. */
export async function appealIdNamed(app: FastifyInstance, idOrNo: string): Promise<string | undefined> {
  return isWorkOrderNo(idOrNo) ? findAppealIdByWorkOrderNo(app.db, idOrNo) : idOrNo;
}

/** The appeal id a path's `id` names; 404 for a work order number no appeal has. */
export async function resolveAppealId(app: FastifyInstance, idOrNo: string): Promise<string> {
  const appealId = await appealIdNamed(app, idOrNo);
  if (!appealId) throw notFound();
  return appealId;
}
