import type { FastifyError, FastifyInstance } from 'fastify';
import {
  isGrpcServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  ServiceError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { status as grpcStatus } from '@grpc/grpc-js';
import { ACTION_RULES, type ActionName } from '../domain/actions.js';
import { ErrorType } from '../domain/errors.js';
import { postgresError } from '../db/queries/errors.js';
import { patternMeaning } from './schemaTypes.js';

/** An error the API means to answer with: a status and a message for the caller. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
    /** The body's `code`, e.g. `VALIDATION` for a refused field. */
    readonly code?: string,
  ) {
    super(message);
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const BUSINESS_STATUS: Record<string, number> = {
  [ErrorType.ActionNotAllowed]: 409,
  [ErrorType.ActionForbidden]: 403,
  [ErrorType.InvalidAction]: 400,
  [ErrorType.UnknownCategory]: 400,
  [ErrorType.UnknownPolicy]: 400,
};

/** gRPC codes that mean "Temporal is not reachable now". */
const GRPC_UNAVAILABLE = new Set<number>([
  grpcStatus.UNAVAILABLE,
  grpcStatus.DEADLINE_EXCEEDED,
  grpcStatus.RESOURCE_EXHAUSTED,
]);
const PG_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/** The error and its causes, outermost first (a few levels: the SDK's wrappers, then the transport's). */
function* causes(error: unknown): Generator<unknown> {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) yield e;
}

function unavailable(error: unknown): string | undefined {
  for (const e of causes(error)) {
    if (isGrpcServiceError(e) && GRPC_UNAVAILABLE.has((e as { code: number }).code)) return 'Temporal';
    if (e instanceof ServiceError && /UNAVAILABLE|DEADLINE_EXCEEDED|connect/i.test(e.message)) return 'Temporal';
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && PG_UNAVAILABLE.has(code)) return 'PostgreSQL';
    if (e instanceof Error && /Connection terminated|timeout exceeded when trying to connect/i.test(e.message))
      return 'PostgreSQL';
  }
  return undefined;
}

/**
 * Temporal refuses an Update while the workflow's last task failed or timed out and is being
 * retried (a worker stopped or crashed holding it, or the code throws): not now, not never.
 */
function workflowTaskFailing(error: unknown): boolean {
  return [...causes(error)].some(
    (e) =>
      isGrpcServiceError(e) &&
      (e as { code: grpcStatus }).code === grpcStatus.FAILED_PRECONDITION &&
      /workflow task in failed state/i.test((e as Error).message),
  );
}

/** The business failure type and message behind a refused Update (or failed start), and the input field it names. */
export function businessFailure(error: unknown): { type: string; message: string; field?: string } | undefined {
  if (!(error instanceof WorkflowUpdateFailedError || error instanceof WorkflowFailedError)) return undefined;
  const cause = error.cause;
  if (!(cause instanceof ApplicationFailure && cause.type && cause.type in BUSINESS_STATUS)) return undefined;
  const { field, action } = (cause.details?.[0] ?? {}) as { field?: unknown; action?: unknown };
  // The workflow names its Update (`acceptDispatch …`); the caller knows the action by its path (`accept …`).
  const named = typeof action === 'string' && action in ACTION_RULES ? (action as ActionName) : undefined;
  const message =
    named && cause.message.startsWith(`${named} `)
      ? `${ACTION_RULES[named].path}${cause.message.slice(named.length)}`
      : cause.message;
  return { type: cause.type, message, ...(typeof field === 'string' ? { field: `body/${field}` } : {}) };
}

interface ValidationEntry {
  keyword: string;
  instancePath?: string;
  params: Record<string, unknown>;
  message?: string;
}

/** The values `tag` takes in the branches of a discriminated `oneOf` (its `const` or `enum` in each). */
function discriminantValues(schema: unknown, tag: string): unknown[] {
  const branches = (schema as { oneOf?: { properties?: Record<string, { const?: unknown; enum?: unknown[] }> }[] })
    ?.oneOf;
  return (branches ?? []).flatMap((branch) => {
    const property = branch.properties?.[tag];
    return property?.const !== undefined ? [property.const] : (property?.enum ?? []);
  });
}

/** The values a `const` or `enum` refusal allows (none for another keyword). */
const allowedBy = (e: ValidationEntry): unknown[] =>
  e.keyword === 'const' ? [e.params.allowedValue] : e.keyword === 'enum' ? (e.params.allowedValues as unknown[]) : [];

/**
 * What the first refusal says. A value outside a list of strings fails its `enum` ("must be
 * equal to one of the allowed values"), and each branch of an `anyOf` of constants or enums at
 * the same place (a body that is a union) fails on its own; the caller is told every value
 * allowed there instead.
 */
function validationMessage(entries: readonly ValidationEntry[]): string {
  const first = entries[0];
  if (first?.keyword === 'const' || first?.keyword === 'enum') {
    const allowed = entries
      .filter((e) => e.instancePath === first.instancePath)
      .flatMap(allowedBy)
      .map((value) => JSON.stringify(value));
    return allowed.length > 1 ? `must be one of ${allowed.join(', ')}` : `must be ${allowed[0]}`;
  }
  if (first?.keyword === 'pattern') return patternMeaning(first.params.pattern) ?? first.message ?? 'invalid';
  return first?.message ?? 'invalid';
}

/**
 * The one error handler: validation, HTTP, business and infrastructure errors become 4xx or
 * 503 with a message; anything else is a 500 whose details stay in the log.
 */
export function registerErrorHandler(
  app: FastifyInstance,
  hooks: { onUpdateRejected?: (type: string) => void } = {},
): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const send = (statusCode: number, message: string, extra: { field?: string; code?: string } = {}) =>
      reply.code(statusCode).send({ statusCode, error: REASONS[statusCode] ?? 'Error', message, ...extra });

    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const first = fastifyError.validation[0];
      const part = fastifyError.validationContext ?? 'body';
      const missing =
        first?.keyword === 'required' ? `/${(first.params as { missingProperty?: string }).missingProperty}` : '';
      const extra =
        first?.keyword === 'additionalProperties'
          ? `/${(first.params as { additionalProperty?: string }).additionalProperty}`
          : '';
      if (first?.keyword === 'discriminator') {
        // A union told apart by one property (schemaTypes.ts `Discriminated`), and the body names no kind of it.
        const { tag } = first.params as { tag: string };
        const field = `${part}${first.instancePath ?? ''}/${tag}`;
        const schema = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[part];
        const allowed = first.instancePath ? [] : discriminantValues(schema, tag);
        const message =
          allowed.length > 0
            ? `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`
            : 'is not one of the kinds allowed';
        return send(400, `${field}: ${message}`, { field, code: 'VALIDATION' });
      }
      const field = `${part}${first?.instancePath ?? ''}${missing}${extra}`;
      return send(400, `${field}: ${validationMessage(fastifyError.validation)}`, { field, code: 'VALIDATION' });
    }
    if (error instanceof HttpError) {
      if (error.statusCode === 503) reply.header('Retry-After', '5');
      return send(error.statusCode, error.message, {
        ...(error.field ? { field: error.field } : {}),
        ...(error.code ? { code: error.code } : {}),
      });
    }
    if (error instanceof WorkflowNotFoundError) return send(404, 'appeal not found');

    const business = businessFailure(error);
    if (business) {
      hooks.onUpdateRejected?.(business.type);
      request.log.info({ type: business.type }, business.message);
      // A refusal of one input names it as a schema's does: `body/<field>: …`.
      const message = business.field ? `${business.field}: ${business.message}` : business.message;
      return send(BUSINESS_STATUS[business.type]!, message, {
        code: business.type,
        ...(business.field ? { field: business.field } : {}),
      });
    }
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      // No worker took the Update in time: it may still be applied, so a retry must carry the same Idempotency-Key.
      request.log.warn({ err: error }, 'update not processed in time');
      reply.header('Retry-After', '5');
      return send(503, 'the appeal did not process the action in time; retry with the same Idempotency-Key');
    }
    if (workflowTaskFailing(error)) {
      request.log.warn({ err: error }, 'update refused: the workflow task is failing');
      reply.header('Retry-After', '5');
      return send(
        503,
        "the appeal's workflow is not taking actions now (its last workflow task failed or timed out and is being retried); retry with the same Idempotency-Key",
      );
    }
    // A value no check caught that PostgreSQL refuses (class 22, data exception): the caller's input, not a fault.
    const refused = postgresError(error);
    if (refused?.code.startsWith('22')) {
      request.log.info({ sqlState: refused.code }, 'value refused by PostgreSQL');
      return send(400, `a value of the request was refused: ${refused.message}`, { code: 'INVALID_VALUE' });
    }
    const down = unavailable(error);
    if (down) {
      request.log.warn({ err: error }, `${down} unavailable`);
      reply.header('Retry-After', '5');
      return send(503, `${down} is unavailable; retry later`);
    }
    // Fastify's own client errors (413 body too large, 415 media type, 400 bad JSON …).
    const status = fastifyError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500)
      return send(status, error.message, fastifyError.code ? { code: fastifyError.code } : {});

    request.log.error({ err: error }, 'unhandled error');
    return send(500, 'internal error');
  });
}
