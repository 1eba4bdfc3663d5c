/**
 * Reading a case for the API: from the case record, where the workflow keeps its current case at
 * every change and its final case at the close; by query for a running case that keeps none (one
 * started before it was kept); presented as the caller may see it (`api/visibility.ts`).
 */
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../../domain/errors.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { appealWorkflowId, involvedUnitIds, type AppealCase, type Stage } from '../../../domain/appeal.js';
import { caseQuery } from '../../../workflows/appeal/definitions.js';
import { getAppealRecord, listAuditEvents } from '../../../db/queries/cases.js';
import { findHandlingUnit } from '../../../db/queries/directory.js';
import { getPolicy } from '../../../db/queries/reference.js';
import { beijingTimeText } from '../../../domain/requesterMessages.js';
import type { Appeal } from '../../../db/schema/index.js';
import type { AppealCaseSchema } from '../../schemas.js';
import { HttpError } from '../../errors.js';
import type { Principal } from '../../plugins/auth.js';
import { sightOf, workOrderOf, type CaseParties, type WorkOrderColumns } from '../../visibility.js';
import { auditReads, fieldsOfCase } from '../../readAudit.js';
import { principalOf } from './shared.js';

export type ApiCase = Static<typeof AppealCaseSchema>;

const iso = (d: Date | null | undefined) => d?.toISOString();

/**
 * The case exactly as its workflow wrote it to the record: the final case once closed, else the
 * current case it keeps at every change (undefined for a case that keeps none).
 */
export function caseInRecord(row: Appeal): ApiCase | undefined {
  if (row.finalCase) return { ...row.finalCase, involvedUnitIds: row.involvedUnitIds, source: 'record' };
  if (row.currentCase) return liveCase(row.currentCase, 'record');
  return undefined;
}

/** The same shape as the workflow's case, from the stored record. */
export async function caseFromRecord(app: FastifyInstance, row: Appeal): Promise<ApiCase> {
  const written = caseInRecord(row);
  if (written) return written;
  // Otherwise (a record still open, or closed before final cases were kept): rebuilt from the audit trail.
  const events = await listAuditEvents(app.db, row.id);
  const last = events.at(-1);
  const result = row.result as AppealCase['result'] | null;
  const callback = row.callback as AppealCase['callback'] | null;
  return {
    appealId: row.id,
    ...(row.workOrderNo ? { workOrderNo: row.workOrderNo } : {}),
    stage: row.stage as Stage,
    appealType: row.appealType as AppealCase['appealType'],
    categoryCode: row.categoryCode,
    ...(row.districtId ? { districtId: row.districtId } : {}),
    ...(row.streetId ? { streetId: row.streetId } : {}),
    ...(row.leadUnitId ? { leadUnitId: row.leadUnitId } : {}),
    supervisingUnitIds: [],
    coHandlers: row.coHandlerIds.map((unitId) => ({
      unitId,
      task: '',
      dueAt: '',
      status: 'done' as const,
      workflowId: '',
    })),
    ...(row.policyCode && row.policyVersion !== null
      ? { policy: { code: row.policyCode, version: row.policyVersion } }
      : {}),
    deadlines: row.deadlines,
    ...(row.dueAt ? { dueAt: iso(row.dueAt) } : {}),
    overdue: row.overdue,
    escalationLevel: row.escalationLevel,
    acceptanceReminders: 0,
    ...(result ? { result } : {}),
    ...(callback ? { callback } : {}),
    rehandlings: events.filter((e) => e.type === 'rehandling_ordered').length,
    ...(row.disposition ? { disposition: row.disposition } : {}),
    ...(row.originalAppealId ? { originalAppealId: row.originalAppealId } : {}),
    involvedUnitIds: row.involvedUnitIds,
    nextActor: row.nextActor ?? (row.stage === 'closed' ? 'none' : 'center'),
    waitingSince: (last?.at ?? row.updatedAt).toISOString(),
    timeline: events.map((e) => ({
      at: e.at.toISOString(),
      type: e.type,
      actor: e.actor,
      ...(e.reason ? { reason: e.reason } : {}),
    })),
    source: 'record',
  };
}

/** The workflow's own view of an open case, as the API answers it: by query, or as it wrote it to the record. */
export const liveCase = (c: AppealCase, source: ApiCase['source'] = 'workflow'): ApiCase => ({
  ...c,
  involvedUnitIds: involvedUnitIds(c),
  source,
});

export const notFound = () => new HttpError(404, 'appeal not found');

/**
 * What a message to a workflow that is gone means: the appeal closed (409, its record stays)
 * or never existed (404).
 */
export async function workflowGone(app: FastifyInstance, appealId: string, action: string): Promise<HttpError> {
  const record = await getAppealRecord(app.db, appealId);
  if (!record) return notFound();
  const since = record.closedAt ? ` since ${beijingTimeText(record.closedAt.toISOString())}` : '';
  return new HttpError(
    409,
    `${action} is not allowed: the appeal is closed${since}${await whyNoRehandling(app, action, record)}`,
  );
}

/**
 * Why a re-handling order finds the case closed after an unsatisfied callback (Art. 24): the
 * case had every re-handling its policy allows, or the center ordered none within the window.
 */
async function whyNoRehandling(app: FastifyInstance, action: string, record: Appeal): Promise<string> {
  const final = record.finalCase;
  if (action !== 'rehandling' || final?.callback?.satisfaction !== 'unsatisfied' || final.forwarding) return '';
  const policy = final.policy ? await getPolicy(app.db, final.policy.code, final.policy.version) : undefined;
  if (policy && final.rehandlings >= policy.rehandlingCap)
    return `: the callback's answer was unsatisfied after ${final.rehandlings} re-handling order(s), all that policy ${policy.code} v${policy.version} allows`;
  return ": the callback's answer was unsatisfied and no re-handling was ordered within the window that followed it";
}

/** What the record says of who is in a case: its involved units, and whether its district's government was told of a risk. */
export type RecordParties = Pick<Appeal, 'involvedUnitIds' | 'stabilityRisk' | 'districtId'>;

/**
 * The caller's unit when it is the government of the appeal's district and the appeal is flagged a
 * risk to social stability, which intake pushes to that government (Art. 11): a party that reads
 * the case (`stabilityGovernment`). Read from the directory; undefined otherwise.
 */
export async function stabilityGovernmentOf(
  app: FastifyInstance,
  principal: Principal,
  appeal: { stabilityRisk?: boolean | null; districtId?: string | null },
): Promise<string | undefined> {
  const unitId = principal.unitId;
  if (principal.role !== 'unit' && principal.role !== 'coordinator') return undefined;
  if (!unitId || !appeal.stabilityRisk || !appeal.districtId) return undefined;
  const unit = await findHandlingUnit(app.db, unitId);
  return unit?.kind === 'district_government' && unit.districtId === appeal.districtId ? unitId : undefined;
}

/**
 * 404 (not 403) for a caller the visibility table does not let see the case (none: no record),
 * so a case's existence does not leak.
 */
export async function assertCanSee(
  app: FastifyInstance,
  principal: Principal,
  record: RecordParties | null | undefined,
): Promise<void> {
  const involvedUnitIds = record?.involvedUnitIds ?? [];
  if (sightOf(principal, { involvedUnitIds }).case) return;
  const stabilityGovernmentId = record ? await stabilityGovernmentOf(app, principal, record) : undefined;
  if (!sightOf(principal, { involvedUnitIds, ...(stabilityGovernmentId ? { stabilityGovernmentId } : {}) }).case)
    throw notFound();
}

/**
 * The case as the request's caller may read it: with the work order from the case record (the
 * workflow does not keep the content), the requester's contact in clear or masked as the table
 * says. Every answer with a work order is written to the read audit first (`api/readAudit.ts`).
 * `row`: the record (or its work order's columns) when the caller has it (`null`: read, and there is none).
 */
export async function presentCase(
  app: FastifyInstance,
  request: FastifyRequest,
  appealCase: ApiCase,
  row?: WorkOrderColumns | null,
  parties: CaseParties = appealCase,
): Promise<ApiCase> {
  const principal = principalOf(request);
  const sight = sightOf(principal, parties);
  if (!sight.triageHints && appealCase.triageHints) appealCase = withoutTriageHints(appealCase);
  if (!sight.workOrder) return appealCase;
  const record = row === undefined ? await getAppealRecord(app.db, appealCase.appealId) : row;
  if (!record) return appealCase;
  const hasContact = Boolean(record.requesterName || record.requesterPhone);
  // Every read of the requester's personal data leaves a trace (Art. 29(4)); the data itself never goes to the log.
  await auditReads(app, request, [{ appealId: record.id, fields: fieldsOfCase(sight, hasContact) }]);
  return { ...appealCase, workOrder: workOrderOf(record, sight.contactInClear) };
}

/** The case without the center's triage aid (it names other appeals the caller may not see). */
function withoutTriageHints(appealCase: ApiCase): ApiCase {
  const { triageHints, ...rest } = appealCase;
  return rest;
}

/** How an appeal's workflow ended without recording its intake. */
export interface IntakeFailure {
  /** The failure's type, e.g. `RecordRejected` (PostgreSQL refused the work order). */
  type?: string;
  /** The workflow's status, e.g. `FAILED`. */
  status: string;
  reason: string;
}

/**
 * For an appeal with no case record: why its workflow ended without recording the intake
 * (`undefined` while it runs). A work order PostgreSQL refuses fails the workflow at once
 * (`RecordRejected`, never retried), so the failed execution says why.
 */
export async function intakeFailure(app: FastifyInstance, appealId: string): Promise<IntakeFailure | undefined> {
  const handle = app.temporal.workflow.getHandle(appealWorkflowId(appealId));
  const { status } = await handle.describe();
  if (status.name === 'RUNNING') return undefined;
  try {
    await handle.result();
    return { status: status.name, reason: 'the workflow ended' };
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    // The innermost failure says why (an activity's failure is the cause of the workflow's).
    let reason = error.message;
    let type: string | undefined;
    for (let e: unknown = error.cause, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
      reason = e.message;
      if (e instanceof ApplicationFailure && e.type) type = e.type;
    }
    return { status: status.name, reason, ...(type ? { type } : {}) };
  }
}

/** The error body's `code` for an intake that was never recorded. */
export const intakeFailureCode = (failure: IntakeFailure): string =>
  failure.type === ErrorType.RecordRejected ? ErrorType.RecordRejected : 'IntakeNotRecorded';

/** The case as stored or live, without the work order (which depends on the caller). */
async function readCase(app: FastifyInstance, appealId: string, row: Appeal | null): Promise<ApiCase> {
  // Read from the record where the workflow wrote its case (one PostgreSQL read, no replay);
  // a running case that keeps none is asked by query.
  const written = row ? caseInRecord(row) : undefined;
  if (written) return written;
  try {
    // No record: the appeal was just started, or its intake could never be recorded (then it has no case).
    const failure = row ? undefined : await intakeFailure(app, appealId);
    if (failure)
      throw new HttpError(
        404,
        `appeal ${appealId} has no case: its workflow ended (${failure.status}) before the intake was recorded: ${failure.reason}`,
        undefined,
        intakeFailureCode(failure),
      );
    const handle = app.temporal.workflow.getHandle(appealWorkflowId(appealId));
    // Bounded like actions: a query no worker answers becomes a 503, not a hanging request.
    const deadline = Date.now() + app.config.WORKFLOW_TIMEOUT_MS;
    try {
      return liveCase(await app.temporal.withDeadline(deadline, () => handle.query(caseQuery)));
    } catch (error) {
      // Whatever shape the timeout takes (gRPC deadline, the server's own query timeout), it is "not now".
      if (!(error instanceof WorkflowNotFoundError) && Date.now() >= deadline)
        throw new HttpError(503, `appeal ${appealId} did not answer in time (no worker took the query); retry later`);
      throw error;
    }
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    // The workflow's history may be gone (retention); the record stays.
    if (!row) throw notFound();
    return caseFromRecord(app, row);
  }
}

/** One case as the request's caller may read it (404 if it may not). `row`: the case record when the caller has just read it. */
export async function loadCase(
  app: FastifyInstance,
  request: FastifyRequest,
  appealId: string,
  row?: Appeal | null,
): Promise<ApiCase> {
  const record = row ?? (await getAppealRecord(app.db, appealId)) ?? null;
  let appealCase = await readCase(app, appealId, record);
  // Just after the intake is recorded the workflow may not yet have taken the number its record has.
  if (!appealCase.workOrderNo && record?.workOrderNo) appealCase = { ...appealCase, workOrderNo: record.workOrderNo };
  const parties = await partiesOf(app, principalOf(request), appealCase, record);
  if (!sightOf(principalOf(request), parties).case) throw notFound();
  return presentCase(app, request, appealCase, record, parties);
}

/**
 * Who is in the case, for a unit's sight of it: a merged appeal is also its original's lead's
 * (the lead answers both requesters), read from the original's record as it stands now; a
 * stability risk is also its district government's (Art. 11), read from the directory.
 */
async function partiesOf(
  app: FastifyInstance,
  principal: Principal,
  appealCase: ApiCase,
  record: Appeal | null,
): Promise<CaseParties> {
  if (principal.role !== 'unit' && principal.role !== 'coordinator') return appealCase;
  if (appealCase.involvedUnitIds.includes(principal.unitId ?? '')) return appealCase;
  let parties: CaseParties = appealCase;
  if (principal.role === 'unit' && appealCase.disposition === 'merged' && appealCase.originalAppealId) {
    const original = await getAppealRecord(app.db, appealCase.originalAppealId);
    if (original?.leadUnitId) parties = { ...parties, mergedIntoLeadUnitId: original.leadUnitId };
  }
  // The record has the flag and the district whatever the case's source (an old record's rebuilt case has neither).
  const stabilityGovernmentId = await stabilityGovernmentOf(app, principal, record ?? appealCase);
  return stabilityGovernmentId ? { ...parties, stabilityGovernmentId } : parties;
}
