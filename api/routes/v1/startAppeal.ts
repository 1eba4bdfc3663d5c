/**
 * Starting an appeal, once for every front door: `POST /v1/appeals` and Open311's
 * `POST requests` record the same work order through the same steps (reference checks,
 * idempotency, the workflow's start with its intake Update, the wait for the record).
 */
import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as d from '../../../domain/appeal.js';
import { ErrorType } from '../../../domain/errors.js';
import type { appealWorkflow } from '../../../workflows/index.js';
import { intakeRecordedUpdate } from '../../../workflows/appeal/definitions.js';
import { AppealSummary } from '../../../workflows/searchAttributes.js';
import { getAppealRecord } from '../../../db/queries/cases.js';
import type { StartAppealBody } from '../../schemas.js';
import { HttpError } from '../../errors.js';
import { checkWorkOrder } from '../../references.js';
import { checkedAttachments } from '../../attachments.js';
import { isWorkOrderNo } from '../../../domain/workOrderNumbers.js';
import { requestHash as hashRequest, reserve } from '../../idempotency.js';
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
    appealId = await reserve(app.db, { key: `key:${principal.name}:${idempotencyKey}`, requestHash, appealId });
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
  const start = new WithStartWorkflowOperation<typeof appealWorkflow>('appealWorkflow', {
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
  });
  const waitUntil = Date.now() + START_WAIT_MS;
  let created = true;
  let appealCase: ApiCase | undefined;
  try {
    // One round trip: the start carries an Update that answers once the intake is recorded.
    const fresh = await app.temporal.withDeadline(waitUntil, () =>
      app.temporal.workflow.executeUpdateWithStart(intakeRecordedUpdate, { startWorkflowOperation: start }),
    );
    appealCase = await presentCase(app, request, liveCase(fresh));
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      if (!idempotencyKey && !body.externalId) throw error;
      created = false;
    } else {
      // Not started at all: the error as it is. Started, but the Update did not answer (the intake
      // was refused, no worker in time, or a worker without the Update): the record says.
      await start.workflowHandle().catch(() => {
        throw error;
      });
    }
  }
  if (created) app.metrics.appealsStarted.inc();
  appealCase ??= await queryFresh(app, request, appealId, created ? waitUntil : undefined);
  request.log.info({ created }, 'appeal started');
  return { created, case: appealCase };
}
