import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { and, arrayOverlaps, ne, sql } from 'drizzle-orm';
import { appeals } from '../../../db/schema/index.js';
import { findHandlingUnit } from '../../../db/queries/directory.js';
import { AppealSummary } from '../../schemas.js';
import { HttpError } from '../../errors.js';
import { Nullable } from '../../schemaTypes.js';
import { isIsoInstant, notACursor } from '../../cursors.js';
import { auditReads, contentReads } from '../../readAudit.js';
import { actorsOf, errors, summarize, summaryColumns, unitFilter } from './shared.js';

/** Where an inbox page ends: the last item's place in the inbox's order. */
interface InboxCursor {
  owed: boolean;
  dueAt: string | null;
  receivedAt: string;
  id: string;
}

const encodeInboxCursor = (c: InboxCursor): string =>
  Buffer.from(JSON.stringify([c.owed ? 1 : 0, c.dueAt, c.receivedAt, c.id])).toString('base64url');

/** Only what `encodeInboxCursor` writes; anything else is a 400, never a query. */
function decodeInboxCursor(cursor: string): InboxCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 4) {
    const [owed, dueAt, receivedAt, id] = parsed as unknown[];
    if (
      (owed === 0 || owed === 1) &&
      (dueAt === null || isIsoInstant(dueAt)) &&
      isIsoInstant(receivedAt) &&
      typeof id === 'string' &&
      /^[A-Za-z0-9._:-]{1,100}$/.test(id)
    )
      return { owed: owed === 1, dueAt, receivedAt, id };
  }
  throw notACursor();
}

const units: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/units/:unitId/inbox',
    {
      schema: {
        tags: ['units'],
        summary: 'What waits on a unit: open appeals it is involved in, those waiting on it first, most urgent first',
        description:
          'Open appeals the unit leads, supervises, co-handles, was summoned to, coordinates or was consulted on, and for a district government the open appeals of its district flagged a risk to social stability (Art. 11: pushed to it at intake; it reads them, it does not act on them). Those on which the unit owes something now (`pendingActors`: to accept, report, report in, give an opinion …) come first, then by deadline, then by intake; a page at a time (`nextCursor`). A unit or coordinator key reads only its own inbox (403 otherwise).',
        params: Type.Object({ unitId: Type.String({ minLength: 1, maxLength: 100 }) }),
        querystring: Type.Object(
          {
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
            cursor: Type.Optional(Type.String({ maxLength: 500, description: '`nextCursor` of the previous page' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Ref(AppealSummary)),
            nextCursor: Nullable(Type.String(), {
              description: 'The next page of the same order, or null after the last',
            }),
          }),
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
      const { limit, cursor } = request.query;
      // The inbox's order as one ascending key: owed by the unit first, the earliest deadline (none
      // last), the earliest intake, the id. A page starts after the key of the previous one's last.
      const actors = actorsOf(unitId);
      const key = sql`(case when ${arrayOverlaps(appeals.pendingActors, actors)} then 0 else 1 end), coalesce(${appeals.dueAt}, 'infinity'::timestamptz), ${appeals.receivedAt}, ${appeals.id}`;
      const after = cursor ? decodeInboxCursor(cursor) : undefined;
      const rows = await app.db
        .select(summaryColumns)
        .from(appeals)
        .where(
          and(
            ne(appeals.stage, 'closed'),
            unitFilter(unitId, unit),
            after
              ? sql`(${key}) > (${after.owed ? 0 : 1}::int, ${after.dueAt ?? 'infinity'}::timestamptz, ${after.receivedAt}::timestamptz, ${after.id}::text)`
              : undefined,
          ),
        )
        .orderBy(sql`${key}`)
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      // Each item shows the content's first line: a read of each appeal's content.
      await auditReads(app, request, contentReads(page.map((r) => r.id)));
      return {
        items: page.map(summarize),
        nextCursor:
          rows.length > limit && last
            ? encodeInboxCursor({
                owed: last.pendingActors.some((a) => actors.includes(a)),
                dueAt: last.dueAt?.toISOString() ?? null,
                receivedAt: last.receivedAt.toISOString(),
                id: last.id,
              })
            : null,
      };
    },
  );
};

export default units;
