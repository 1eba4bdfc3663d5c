import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { and, arrayOverlaps, asc, ne, sql } from 'drizzle-orm';
import { appeals } from '../../../db/schema/index.js';
import { findHandlingUnit } from '../../../db/queries/directory.js';
import { AppealSummary } from '../../schemas.js';
import { HttpError } from '../../errors.js';
import { auditReads, contentReads } from '../../readAudit.js';
import { actorsOf, errors, summarize, summaryColumns, unitFilter } from './shared.js';

const units: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/units/:unitId/inbox',
    {
      schema: {
        tags: ['units'],
        summary: 'What waits on a unit: open appeals it is involved in, those waiting on it first, most urgent first',
        description:
          'Open appeals the unit leads, supervises, co-handles, was summoned to, coordinates or was consulted on, and for a district government the open appeals of its district flagged a risk to social stability (Art. 11: pushed to it at intake; it reads them, it does not act on them). Those on which the unit owes something now (`pendingActors`: to accept, report, report in, give an opinion …) come first, then by deadline. A unit or coordinator key reads only its own inbox (403 otherwise).',
        params: Type.Object({ unitId: Type.String({ minLength: 1, maxLength: 100 }) }),
        querystring: Type.Object(
          { limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(Type.Ref(AppealSummary)) }),
          ...errors(400, 401, 403, 404, 503),
        },
      },
    },
    async (request) => {
      const { unitId } = request.params;
      const principal = request.principal!;
      if ((principal.role === 'unit' || principal.role === 'coordinator') && principal.unitId !== unitId)
        throw new HttpError(403, 'a unit reads only its own inbox');
      if (principal.role === 'intake') throw new HttpError(403, 'intake keys do not read unit inboxes');
      // A unit the directory does not know has no inbox (as its rates and records have none).
      const unit = await findHandlingUnit(app.db, unitId);
      if (!unit) throw new HttpError(404, 'unit not found');
      const rows = await app.db
        .select(summaryColumns)
        .from(appeals)
        .where(and(ne(appeals.stage, 'closed'), unitFilter(unitId, unit)))
        .orderBy(
          sql`${arrayOverlaps(appeals.pendingActors, actorsOf(unitId))} desc`,
          sql`${appeals.dueAt} asc nulls last`,
          asc(appeals.receivedAt),
        )
        .limit(request.query.limit);
      // Each item shows the content's first line: a read of each appeal's content.
      await auditReads(app, request, contentReads(rows.map((r) => r.id)));
      return { items: rows.map(summarize) };
    },
  );
};

export default units;
