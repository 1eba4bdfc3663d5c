/**
 * Starting an appeal, once for every front door: `POST /v1/appeals` and Open311's
 * `POST requests` record the same work order through the same steps (reference checks,
 * idempotency, the workflow's start, the work order recorded beside it).
 */
import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as d from '../../../domain/appeal.js';
import { ErrorType } from '../../../domain/errors.js';
import type { appealWorkflow } from '../../../workflows/index.js';
import { AppealSummary } from '../../../workflows/searchAttributes.js';
import { getAppealRecord } from '../../../db/queries/cases.js';
import { intakeRecordOf, recordWorkOrder } from '../../../db/queries/intake.js';
import { caseAtIntake } from '../../../domain/caseAtIntake.js';
import type { StartAppealBody } from '../../schemas.js';
import { HttpError } from '../../errors.js';
import { checkWorkOrder } from '../../references.js';
import { checkedAttachments } from '../../attachments.js';
import { isWorkOrderNo } from '../../../domain/workOrderNumbers.js';
import { callerKey, requestHash as hashRequest, reserve } from '../../idempotency.js';
import { intakeFailure, intakeFailureCode, liveCase, loadCase, presentCase, type ApiCase } from './cases.js';
import { principalOf } from './shared.js';

/** How long a start waits for its intake to be recorded before answering 503. */
const START_WAIT_MS = 5_000;

/** The roles that record appeals. */
export const STARTING_ROLES: readonly string[] = ['intake', 'center', 'admin'];

/**
 * The case of a just-started appeal, once its intake is in the case record (so a list right
 * after the start finds it): a 201 means the intake is recorded. The workflow's first task may
 * take a moment: retry briefly. A workflow that ended without recording it (PostgreSQL refused
 * the work order) is answered at once with the reason; one still trying after the wait is a 503.
 */
async function queryFresh(
  app: FastifyInstance,
  request: FastifyRequest,
  appealId: string,
  deadline = Date.now() + START_WAIT_MS,
): Promise<ApiCase> {
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    const row = await getAppealRecord(app.db, appealId);
    if (row) return loadCase(app, request, appealId, row);
    const failure = await intakeFailure(app, appealId);
    if (failure) {
      const rejected = intakeFailureCode(failure) === ErrorType.RecordRejected;
      throw new HttpError(
        rejected ? 422 : 500,
        `appeal ${appealId} was not started: its intake could not be recorded (${failure.status}): ${failure.reason}`,
        undefined,
        intakeFailureCode(failure),
      );
    }
    if (Date.now() >= deadline)
      throw new HttpError(
        503,
        `appeal ${appealId} is started but its intake is not recorded yet; retry with the same Idempotency-Key or externalId`,
      );
    await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * The work order of a just-started appeal recorded with the case at intake (its number given):
 * the case to answer. Undefined when the workflow recorded it first (its case may have moved on),
 * or when PostgreSQL did not take it here: then the workflow's own intake records it, or fails
 * with the reason, and `queryFresh` says which.
 */
async function recordAtStart(
  app: FastifyInstance,
  request: FastifyRequest,
  order: d.WorkOrder,
): Promise<ApiCase | undefined> {
  const atIntake = caseAtIntake(order);
  try {
    const { created, workOrderNo } = await recordWorkOrder(app.db, order, atIntake);
    if (!created) return undefined;
    const fresh = liveCase({ ...atIntake, ...(workOrderNo ? { workOrderNo } : {}) }, 'record');
    // The work order as recorded is the one just written: no read back.
    return await presentCase(app, request, fresh, intakeRecordOf(order));
  } catch (error) {
    request.log.warn({ err: error }, 'intake not recorded at the start; the workflow records it');
    return undefined;
  }
}

export interface Started {
  /** False when the same `Idempotency-Key` or `externalId` found the appeal already started. */
  created: boolean;
  case: ApiCase;
}

/**
 * Starts the appeal `body` describes for the request's caller (an intake, center or admin key;
 * 403 otherwise), idempotent by `idempotencyKey` (scoped to the caller's key) and by `externalId`.
 * Answers once the intake is in the case record.
 */
export async function startAppeal(
  app: FastifyInstance,
  request: FastifyRequest,
  body: Static<typeof StartAppealBody>,
  idempotencyKey?: string,
): Promise<Started> {
  const principal = principalOf(request);
  if (!STARTING_ROLES.includes(principal.role))
    throw new HttpError(403, `role ${principal.role} may not start appeals`);
  // Validate before reserving: a refused request must not use up its idempotency key.
  const { districtId } = await checkWorkOrder(app.db, body);
  // Paths take an appeal id or a work order number: an id that looks like a number would be ambiguous.
  if (body.externalId && isWorkOrderNo(body.externalId))
    throw new HttpError(
      400,
      'body/externalId: has the form of a work order number (YYYYMMDD-NNNNNN), which the service gives itself',
      'body/externalId',
      'VALIDATION',
    );
  const attachments = checkedAttachments(body);
  const requestHash = hashRequest(body);
  let appealId = body.externalId ?? randomUUID();
  if (idempotencyKey)
    appealId = await reserve(app.db, { key: callerKey(principal.name, idempotencyKey), requestHash, appealId });
  if (body.externalId) await reserve(app.db, { key: `external:${body.externalId}`, requestHash, appealId });
  request.log = request.log.child({ appealId });

  const order: d.WorkOrder = {
    appealId,
    channel: body.channel as d.Channel,
    appealType: body.appealType as d.AppealType,
    categoryCode: body.categoryCode,
    content: body.content,
    // A street-only order lies in the street's district: lists by district find it.
    ...(districtId ? { districtId } : {}),
    ...(body.streetId ? { streetId: body.streetId } : {}),
    ...(body.address ? { address: body.address } : {}),
    requester: body.requester,
    ...(body.stabilityRisk !== undefined ? { stabilityRisk: body.stabilityRisk } : {}),
    receivedAt: body.receivedAt ?? new Date().toISOString(),
    ...(attachments ? { attachments } : {}),
  };
  const summary = `${body.appealType} · ${body.categoryCode} · ${[districtId, body.streetId].filter(Boolean).join('/') || 'no place'} · ${body.channel}`;
  const waitUntil = Date.now() + START_WAIT_MS;
  let created = true;
  try {
    await app.temporal.withDeadline(waitUntil, () =>
      app.temporal.workflow.start<typeof appealWorkflow>('appealWorkflow', {
        taskQueue: app.config.TEMPORAL_TASK_QUEUE,
        workflowId: d.appealWorkflowId(appealId),
        args: [order],
        // An id is used once: a retry (even after the case closed) finds it instead of starting again.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        // The Temporal UI's one line per case: what and where, never who or the content (the number is a search attribute).
        staticSummary: summary,
        // The same line as a search attribute, which the UI's workflow list can show as a column.
        typedSearchAttributes: [{ key: AppealSummary, value: summary }],
        staticDetails: body.content,
      }),
    );
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError) || (!idempotencyKey && !body.externalId)) throw error;
    created = false;
  }
  // Started: the work order is recorded here, beside the workflow's own intake, so the answer
  // does not wait for the workflow's first task (whichever records it first, the other finds it).
  const appealCase =
    (created ? await recordAtStart(app, request, order) : undefined) ??
    (await queryFresh(app, request, appealId, created ? waitUntil : undefined));
  if (created) app.metrics.appealsStarted.inc();
  request.log.info({ created }, 'appeal started');
  return { created, case: appealCase };
}
