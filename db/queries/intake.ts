/**
 * Art. 11: a work order's case record, as both its recorders write it — the API when it starts
 * the appeal (with the case at intake, so a read right after the start finds it) and the
 * workflow's intake (which finds it there, or writes it first when the API could not).
 */
import type { AppealCase, WorkOrder } from '../../domain/appeal.js';
import { appealWorkflowId } from '../../domain/appeal.js';
import type { DbOrTx } from '../client.js';
import { createAppealRecord } from './cases.js';

/** A work order's columns in its case record, as recorded at intake. */
export function intakeRecordOf(order: WorkOrder) {
  return {
    id: order.appealId,
    workflowId: appealWorkflowId(order.appealId),
    channel: order.channel,
    appealType: order.appealType,
    categoryCode: order.categoryCode,
    districtId: order.districtId ?? null,
    streetId: order.streetId ?? null,
    address: order.address ?? null,
    content: order.content,
    requesterName: order.requester.name ?? null,
    requesterPhone: order.requester.phone ?? null,
    stabilityRisk: order.stabilityRisk ?? false,
    attachments: order.attachments ?? [],
    stage: 'triage',
    nextActor: 'center',
    waitingSince: new Date(order.receivedAt),
    receivedAt: new Date(order.receivedAt),
  };
}

/**
 * The record, its work order number and its intake event, in one statement; `currentCase`, when
 * given, is the case the record keeps until the workflow writes its own. Idempotent: a work
 * order recorded before keeps its row, its case and its number (`created` false).
 */
export function recordWorkOrder(
  db: DbOrTx,
  order: WorkOrder,
  currentCase?: AppealCase,
): Promise<{ created: boolean; workOrderNo: string | null }> {
  return createAppealRecord(db, { ...intakeRecordOf(order), ...(currentCase ? { currentCase } : {}) }, 'intake');
}
