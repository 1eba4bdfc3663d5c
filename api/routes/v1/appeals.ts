import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { and, desc, eq, gte, isNotNull, isNull, lt, or, type SQL } from 'drizzle-orm';
import * as d from '../../../domain/appeal.js';
import { appeals } from '../../../db/schema/index.js';
import { AppealSummary, StartAppealBody } from '../../schemas.js';
import { Nullable, StringEnum } from '../../schemaTypes.js';
import { listScope } from '../../visibility.js';
import { auditReads, contentReads } from '../../readAudit.js';
import { resolveAppealId } from './appealIds.js';
import { decodeInstantCursor, encodeInstantCursor } from '../../cursors.js';
import { loadCase } from './cases.js';
import { startAppeal } from './startAppeal.js';
import {
  CaseRef,
  COMMON_ERRORS,
  errors,
  IdempotencyHeaders,
  IdParams,
  principalOf,
  summarize,
  summaryColumns,
  unitFilterOf,
} from './shared.js';

const ListQuery = Type.Object(
  {
    stage: Type.Optional(StringEnum(d.STAGES)),
    unitId: Type.Optional(
      Type.String({
        maxLength: 100,
        description:
          'A unit party to the appeal: it leads, co-handles, supervises, was summoned, coordinates or was consulted; a district government also for the stability risks of its district (Art. 11)',
      }),
    ),
    districtId: Type.Optional(Type.String({ maxLength: 100 })),
    streetId: Type.Optional(Type.String({ maxLength: 100 })),
    appealType: Type.Optional(StringEnum(d.APPEAL_TYPES)),
    categoryCode: Type.Optional(Type.String({ maxLength: 100 })),
    overdue: Type.Optional(Type.Boolean()),
    open: Type.Optional(
      Type.Boolean({
        description:
          '`true`: open cases only (not closed: the cases `GET /v1/overview/overdue` counts with `overdue=true`); `false`: closed ones only',
      }),
    ),
    receivedFrom: Type.Optional(Type.String({ format: 'date-time' })),
    receivedTo: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 500, description: '`nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

const RequesterToken = Type.String({
  description:
    "The requester's token: give it to the requester with the work order number; with it they read `GET /v1/status/{ref}` (no API key)",
  examples: ['7KQ2-M9XD-4T0B-HC3N'],
});

const appealsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/appeals',
    {
      schema: {
        tags: ['appeals'],
        summary: 'Start an appeal (idempotent)',
        description:
          "Roles: intake, center, admin. Idempotent by `Idempotency-Key` (per API key) and by `externalId`: the same key with the same body answers 200 with `created: false` and the existing case; with a different body, 409. A start whose response was lost is safe to retry with the same key. 201 means the workflow is started and the intake is in the case record with its work order number (it does not wait for a worker: the workflow adds the center's triage hints to the case when it runs). If PostgreSQL refuses to record it, the appeal's workflow fails at once and the start answers 422 with code `RecordRejected` and the reason (so does a retry with the same key); if neither records it within 5 s, 503. The answer carries the requester's token (`requesterToken`, the same on a replay) for `GET /v1/status/{ref}`.",
        headers: IdempotencyHeaders,
        body: StartAppealBody,
        response: {
          201: Type.Object({ created: Type.Literal(true), case: CaseRef, requesterToken: RequesterToken }),
          200: Type.Object({ created: Type.Literal(false), case: CaseRef, requesterToken: RequesterToken }),
          ...errors(...COMMON_ERRORS, 422),
        },
      },
    },
    async (request, reply) => {
      const started = await startAppeal(app, request, request.body, request.headers['idempotency-key']);
      // Derived, never stored: a replay of the start answers the same token.
      const requesterToken = app.requesterTokens.issue(started.case.appealId);
      if (started.created) return reply.code(201).send({ created: true as const, case: started.case, requesterToken });
      return reply.code(200).send({ created: false as const, case: started.case, requesterToken });
    },
  );

  app.get(
    '/appeals/:id',
    {
      schema: {
        tags: ['appeals'],
        summary: 'One case: live while open, the stored record once closed (same shape)',
        description:
          "By appeal id or work order number (`YYYYMMDD-NNNNNN`; 404 for a number no appeal has). With the work order (`workOrder`). The requester's name and phone are in clear for the center, admin and the lead unit; masked for every other party. A unit outside the case gets 404.",
        params: IdParams,
        response: { 200: CaseRef, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const appealId = await resolveAppealId(app, request.params.id);
      request.log = request.log.child({ appealId });
      return loadCase(app, request, appealId);
    },
  );

  app.get(
    '/appeals',
    {
      schema: {
        tags: ['appeals'],
        summary: 'List case records with filters, newest intake first, cursor paginated',
        description:
          "A unit or coordinator key sees only appeals its unit is involved in (`unitId` narrows to those of a unit), and a district government's key also the appeals of its district flagged a risk to social stability (Art. 11). Each item carries the content's first line, never the requester's contact.",
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(Type.Ref(AppealSummary)),
            nextCursor: Nullable(Type.String()),
          }),
          ...errors(400, 401, 503),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const scope = listScope(principalOf(request));
      const where: (SQL | undefined)[] = [
        q.stage ? eq(appeals.stage, q.stage) : undefined,
        q.unitId ? await unitFilterOf(app.db, q.unitId) : undefined,
        scope ? await unitFilterOf(app.db, scope.unitId) : undefined,
        q.districtId ? eq(appeals.districtId, q.districtId) : undefined,
        q.streetId ? eq(appeals.streetId, q.streetId) : undefined,
        q.appealType ? eq(appeals.appealType, q.appealType) : undefined,
        q.categoryCode ? eq(appeals.categoryCode, q.categoryCode) : undefined,
        q.overdue !== undefined ? eq(appeals.overdue, q.overdue) : undefined,
        // A closed case stays overdue if it was: only `open` tells a stuck case from a finished one.
        q.open === undefined ? undefined : q.open ? isNull(appeals.closedAt) : isNotNull(appeals.closedAt),
        q.receivedFrom ? gte(appeals.receivedAt, new Date(q.receivedFrom)) : undefined,
        q.receivedTo ? lt(appeals.receivedAt, new Date(q.receivedTo)) : undefined,
      ];
      if (q.cursor) {
        const { at, id } = decodeInstantCursor(q.cursor);
        const c = { receivedAt: at, id };
        where.push(
          or(lt(appeals.receivedAt, c.receivedAt), and(eq(appeals.receivedAt, c.receivedAt), lt(appeals.id, c.id))),
        );
      }
      const rows = await app.db
        .select(summaryColumns)
        .from(appeals)
        .where(and(...where))
        .orderBy(desc(appeals.receivedAt), desc(appeals.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      // Each item shows the content's first line: a read of each appeal's content.
      await auditReads(app, request, contentReads(page.map((r) => r.id)));
      return {
        items: page.map(summarize),
        nextCursor: rows.length > q.limit && last ? encodeInstantCursor(last.receivedAt, last.id) : null,
      };
    },
  );
};

export default appealsRoutes;
