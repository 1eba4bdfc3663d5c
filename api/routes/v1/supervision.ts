/**
 * Read paths for supervisors (Art. 14, 25-29): a unit's accountability records of a month, each
 * linked to its appeal and audit event; the center's dispatch accuracy (派单精准度); the month's
 * ranking as CSV for publication; hot spots and 每月一题 candidates. All computed live in SQL.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { findRatedUnit, monthRanking, type RankingLevel as Level } from '../../../db/queries/rates.js';
import { dispatchAccuracy, unitMonthAccountability } from '../../../db/queries/supervision.js';
import { hotSpots, HOT_SPOT_RULES } from '../../../db/queries/hotSpots.js';
import { Id, RankingLevel } from '../../schemas.js';
import { DispatchAccuracyView, HotSpotsView, UnitAccountabilityView } from '../../supervisionSchemas.js';
import { rankingCsv, rankingCsvDisposition, RANKING_CSV_COLUMNS, NO_VALID_CALLBACK } from '../../rankingsCsv.js';
import { HttpError } from '../../errors.js';
import { auditReads, contentReads } from '../../readAudit.js';
import type { Role } from '../../plugins/auth.js';
import { errors, Month, monthSoFar, NoQuery, principalOf, rolesOnly } from './shared.js';

/** Who reads every unit's records, the dispatch accuracy, the rankings and the hot spots. */
const READERS_OF_ALL: readonly Role[] = ['center', 'supervisor', 'admin'];
/** A role outside these never reads the route: 403 before its parameters are looked at. */
const readersOfAllOnly = (what: string) => rolesOnly(READERS_OF_ALL, `does not read ${what}`);

const supervisionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/accountability/units/:unitId/months/:month',
    {
      schema: {
        tags: ['assessments'],
        summary: "A unit's accountability records of one month, each with its appeal and audit event (Art. 29)",
        description:
          "Roles: center, supervisor, admin (any unit); unit and coordinator (the unit the key is bound to only: any other unit is a 404, as for assessments). Records whose `at` lies in the Beijing month (Asia/Shanghai), oldest first: late acceptance, overdue handling, objections rejected on review, late co-handlers and reports, claims the callback contradicted. Each names its appeal and the audit event it stems from (`auditEvent`, found by the record's audit step key: type, actor, time, reason); `summary` counts them by kind. 403 for another role, before the parameters are looked at. 400 naming the field for a month that is not `YYYY-MM` or is after the current Beijing month, or for any query parameter (it takes none); 404 for an unknown unit.",
        params: Type.Object({ unitId: Id, month: Month }),
        querystring: NoQuery,
        response: { 200: UnitAccountabilityView, ...errors(400, 401, 403, 404, 503) },
      },
      // A unit's key, or a coordinator's (a district government or sector authority is late with an opinion as itself).
      preValidation: rolesOnly([...READERS_OF_ALL, 'unit', 'coordinator'], 'does not read accountability records'),
    },
    async (request) => {
      const principal = principalOf(request);
      const { unitId, month } = request.params;
      request.log = request.log.child({ unitId, month });
      if ((principal.role === 'unit' || principal.role === 'coordinator') && principal.unitId !== unitId)
        throw new HttpError(404, 'unit not found');
      monthSoFar(month);
      const unit = await findRatedUnit(app.db, unitId);
      if (!unit) throw new HttpError(404, 'unit not found');
      const result = await unitMonthAccountability(app.db, unitId, month);
      return {
        unitId,
        name: unit.name,
        kind: unit.kind,
        month,
        summary: { total: result.total, byKind: result.byKind },
        items: result.items.map((r) => ({
          appealId: r.appealId,
          stepKey: r.stepKey,
          kind: r.kind,
          detail: r.detail,
          at: r.at.toISOString(),
          auditEvent: r.auditEvent && { ...r.auditEvent, at: r.auditEvent.at.toISOString() },
        })),
      };
    },
  );

  app.get(
    '/dispatch-accuracy/:month',
    {
      schema: {
        tags: ['assessments'],
        summary: 'Dispatch accuracy (派单精准度) of one month, per category and per dispatch catalogue rule',
        description:
          "Roles: center, supervisor, admin. From the audit trail. A case counts in the Beijing month of its first `dispatched` event, with everything that happened to its dispatch since (`dispatch_objection`, `objection_granted`, `objection_upheld`, later `dispatched` events: re-dispatches), so a month settles once its objections are decided. A case is misdispatched when an objection of it was granted or it was re-dispatched; a granted objection always re-dispatches, so the two count once per case. accuracy = 1 − misdispatched ÷ dispatches (4 decimals; null without dispatches). A case's rule is the catalogue entry matching its category and place (street over district over city), as the dispatch looks it up; `rule: null` gathers a category's cases no entry matched (the district government's fallback, the manual queue). Categories and rules by dispatches, most first. 403 for another role, before the parameters are looked at. 400 naming the field for a month that is not `YYYY-MM` or is after the current Beijing month, or for any query parameter (it takes none).",
        params: Type.Object({ month: Month }),
        querystring: NoQuery,
        response: { 200: DispatchAccuracyView, ...errors(400, 401, 403, 503) },
      },
      preValidation: readersOfAllOnly('dispatch accuracy'),
    },
    async (request) => {
      request.log = request.log.child({ month: request.params.month });
      return dispatchAccuracy(app.db, monthSoFar(request.params.month));
    },
  );

  app.get(
    '/rankings/:month/export.csv',
    {
      schema: {
        tags: ['assessments'],
        summary: "A month's ranking of one level as CSV, for publication and Excel (Art. 25)",
        description: `Roles: center, supervisor, admin. The ranking of \`GET /v1/rankings/{month}\` as \`text/csv; charset=utf-8\`, UTF-8 with a BOM (EF BB BF) so that Excel opens it as UTF-8, CRLF line ends, one header line: ${RANKING_CSV_COLUMNS.join(', ')}. Rates and the composite are fractions (4 decimals); 名次变化 is previous rank − rank (\`+2\`: up two places). A unit without a valid callback this month has an empty rank and empty rates and 说明 \`${NO_VALID_CALLBACK}\`. Sent as an attachment (\`content-disposition\`, file \`rankings-<month>-<level>.csv\`). 403 for another role, before the parameters are looked at. 400 naming the field for a month that is not \`YYYY-MM\` or is after the current Beijing month, a missing or unknown level, or another query parameter.`,
        params: Type.Object({ month: Month }),
        querystring: Type.Object({ level: RankingLevel }, { additionalProperties: false }),
        response: {
          200: {
            description: 'The ranking as CSV (UTF-8 with BOM)',
            content: { 'text/csv': { schema: Type.String() } },
          },
          ...errors(400, 401, 403, 503),
        },
      },
      preValidation: readersOfAllOnly('rankings'),
    },
    async (request, reply) => {
      const { month } = request.params;
      const level = request.query.level as Level;
      request.log = request.log.child({ month, level });
      const ranking = await monthRanking(app.db, monthSoFar(month), level);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', rankingCsvDisposition(month, level))
        .send(rankingCsv(ranking));
    },
  );

  app.get(
    '/hot-spots/:month',
    {
      schema: {
        tags: ['assessments'],
        summary: 'Hot spots and 每月一题 candidates of one month (Art. 26, 27)',
        description: `Roles: center, supervisor, admin. Appeals count in the Beijing month they were received in, against the month before (\`lastMonth\`) and the same month a year earlier (\`lastYear\`); only counts and appeal ids, no content or requester. \`top\`: the ${HOT_SPOT_RULES.topPairs} category × street pairs with the most appeals. \`risingCategories\`: at least ${HOT_SPOT_RULES.risingMinCount} appeals and at least ${HOT_SPOT_RULES.risingMinRatio} × last month (or none last month), by change, at most ${HOT_SPOT_RULES.risingLimit}. \`recurringAddresses\`: one address (blanks and case ignored) in one street at least ${HOT_SPOT_RULES.recurringMinCount} times, at most ${HOT_SPOT_RULES.recurringLimit}. \`monthlyTopics\` (每月一题 candidates): a category with at least ${HOT_SPOT_RULES.topicMinCount} appeals from at least ${HOT_SPOT_RULES.topicMinStreets} streets and townships, not below last month or above last year, most first, at most ${HOT_SPOT_RULES.topicLimit}, each with its numbers in words. 403 for another role, before the parameters are looked at. 400 naming the field for a month that is not \`YYYY-MM\` or is after the current Beijing month, or for any query parameter (it takes none).`,
        params: Type.Object({ month: Month }),
        querystring: NoQuery,
        response: { 200: HotSpotsView, ...errors(400, 401, 403, 503) },
      },
      preValidation: readersOfAllOnly('hot spots'),
    },
    async (request) => {
      request.log = request.log.child({ month: request.params.month });
      const spots = await hotSpots(app.db, monthSoFar(request.params.month));
      // A recurring address is part of each of its appeals' content.
      await auditReads(app, request, contentReads(spots.recurringAddresses.flatMap((r) => r.appealIds)));
      return spots;
    },
  );
};

export default supervisionRoutes;
